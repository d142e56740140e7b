import { isIP } from 'node:net';
import { Agent, buildConnector, request as undiciRequest } from 'undici';
import { z } from 'zod';
import { DatasourceErrorCode, DatasourceException } from '../datasource.exception';
import type {
  ConnectionTestResult,
  FieldSpec,
  ResolvedDatasource,
  RestConnector as RestConnectorContract,
  RestRequest,
  RestResponse,
  RunLimits,
} from './connector';
import type { ConnectorDeps } from './connector-deps';
import type { ConnectorExtras } from './connector-extras';
import { toConnectionException } from './connection-error';
import { PoolManager } from './pool-manager';
import { parseWith, pem } from './sql-config';

/** Redirect hops followed at most (each one re-checked); RFC 9110 section 15.4 leaves it to us. */
export const MAX_REDIRECTS = 5;

/**
 * Names of headers and query parameters whose values are credentials: moved into the vault
 * even when the user did not mark them secret.
 */
const SECRET_NAME =
  /^(authorization|proxy-authorization|cookie)$|token|secret|key|passw|pwd|auth|credential|signature|session/i;

export const isSecretLookingName = (name: string) => SECRET_NAME.test(name);

/** RFC 9110 section 5.6.2 token: a valid header field name. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;
const QUERY_NAME = /^[^\s&=#]{1,128}$/;
const HEADER_VALUE = /^[^\r\n\0]*$/;

/** Headers a datasource may not set: they belong to the connection or to the server. */
const RESERVED_HEADERS = new Set([
  'host',
  'connection',
  'content-length',
  'transfer-encoding',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'proxy-connection',
]);

const pairList = (name: RegExp, what: string) =>
  z
    .array(
      z
        .object({
          name: z.string().regex(name, `must be a valid ${what} name`),
          value: z.string().max(8192).regex(HEADER_VALUE, 'must not contain line breaks'),
        })
        .strict(),
    )
    .max(50)
    .default([]);

const schema = z
  .object({
    baseUrl: z
      .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
      .max(2048)
      .refine((v) => {
        const u = new URL(v);
        return !u.username && !u.password && !u.hash;
      }, 'must not contain credentials or a fragment'),
    headers: pairList(HEADER_NAME, 'header').refine(
      (list) => list.every((h) => !RESERVED_HEADERS.has(h.name.toLowerCase())),
      'must not set connection headers (Host, Content-Length, ...)',
    ),
    queryParams: pairList(QUERY_NAME, 'query parameter'),
    followRedirects: z.boolean().default(true),
    // A private CA for an https:// base URL: trusted instead of the public ones.
    caCert: pem('certificate').optional(),
  })
  .strict()
  .refine((c) => !c.caCert || c.baseUrl.startsWith('https://'), {
    path: ['caCert'],
    message: 'needs an https:// base URL (over http:// nothing is verified)',
  });
type RestConfig = z.infer<typeof schema>;

type Pair = { name: string; value: string; secret?: boolean };

function asPairs(value: unknown): Pair[] | null {
  if (!Array.isArray(value)) return null;
  return value.every(
    (p) =>
      typeof p === 'object' &&
      p !== null &&
      typeof (p as Pair).name === 'string' &&
      typeof (p as Pair).value === 'string',
  )
    ? (value as Pair[])
    : null;
}

/**
 * HTTP APIs through undici. Secrets (bearer token, basic auth, `header:<Name>`,
 * `query:<name>`) are applied only when sending. Each new socket resolves the host, checks
 * every address against the egress policy and connects to a checked address; redirects are
 * followed by hand, at most {@link MAX_REDIRECTS} hops, only within the base URL (same
 * origin and path prefix), so secrets never travel to another host.
 */
export class RestConnector implements RestConnectorContract, ConnectorExtras {
  readonly kind = 'rest' as const;
  readonly type = 'rest' as const;
  readonly label = 'REST API';
  readonly configFields: FieldSpec[] = [
    {
      name: 'baseUrl',
      label: 'Base URL',
      kind: 'string',
      required: true,
      placeholder: 'https://api.example.com/v1',
      help: 'Credentials in the URL (user:password@, api_key=...) are moved to encrypted fields.',
    },
    {
      name: 'headers',
      label: 'Headers',
      kind: 'keyValue',
      required: false,
      help: 'Sent with every request. Mark a header secret to store it encrypted.',
    },
    { name: 'queryParams', label: 'Query parameters', kind: 'keyValue', required: false },
    {
      name: 'followRedirects',
      label: 'Follow redirects within the base URL',
      kind: 'boolean',
      required: false,
      defaultValue: true,
    },
    {
      name: 'caCert',
      label: 'CA certificate (PEM)',
      kind: 'text',
      required: false,
      help: 'For an https:// API with a private certificate authority: trust this CA instead of the public ones.',
    },
  ];
  readonly secretFields: FieldSpec[] = [
    { name: 'bearerToken', label: 'Bearer token', kind: 'password', required: false },
    { name: 'basicUser', label: 'Basic auth user', kind: 'password', required: false },
    { name: 'basicPassword', label: 'Basic auth password', kind: 'password', required: false },
    {
      name: 'header:*',
      label: 'Secret headers',
      kind: 'keyValue',
      required: false,
      help: 'Each one is stored as the secret field "header:<Header-Name>".',
    },
    {
      name: 'query:*',
      label: 'Secret query parameters',
      kind: 'keyValue',
      required: false,
      help: 'Each one is stored as the secret field "query:<name>".',
    },
  ];
  /** Changing whom requests go to, or which CA vouches for it, needs the secrets again. */
  readonly targetFields = ['baseUrl', 'caCert'];
  private readonly agents: PoolManager<Agent>;

  constructor(private readonly deps: ConnectorDeps) {
    this.agents = new PoolManager(deps.poolIdleMs, (a) => a.close());
  }

  parseConfig(config: unknown): Record<string, unknown> {
    return parseWith(schema, config);
  }

  acceptsSecretField(field: string): boolean {
    if (['bearerToken', 'basicUser', 'basicPassword'].includes(field)) return true;
    const header = /^header:(.+)$/.exec(field);
    if (header) {
      return HEADER_NAME.test(header[1]) && !RESERVED_HEADERS.has(header[1].toLowerCase());
    }
    const query = /^query:(.+)$/.exec(field);
    return query !== null && QUERY_NAME.test(query[1]);
  }

  /**
   * Moves URL userinfo to `basicUser`/`basicPassword`, secret-looking base-URL query
   * parameters to `query:<name>`, and headers / parameters marked `secret` or with a
   * secret-looking name to `header:<Name>` / `query:<name>`.
   */
  extractSecrets(input: Record<string, unknown>) {
    const config = { ...input };
    const secrets: Record<string, string> = {};
    if (typeof config.baseUrl === 'string' && URL.canParse(config.baseUrl)) {
      const url = new URL(config.baseUrl);
      if (url.username) secrets.basicUser = safeDecode(url.username);
      if (url.password) secrets.basicPassword = safeDecode(url.password);
      url.username = '';
      url.password = '';
      for (const name of [...new Set(url.searchParams.keys())]) {
        if (!isSecretLookingName(name)) continue;
        secrets[`query:${name}`] = url.searchParams.get(name) ?? '';
        url.searchParams.delete(name);
      }
      config.baseUrl = url.toString();
    }
    for (const [key, prefix] of [
      ['headers', 'header:'],
      ['queryParams', 'query:'],
    ] as const) {
      const pairs = asPairs(config[key]);
      if (!pairs) continue;
      const kept: { name: string; value: string }[] = [];
      for (const pair of pairs) {
        if (pair.secret === true || isSecretLookingName(pair.name)) {
          secrets[`${prefix}${pair.name}`] = pair.value;
        } else {
          kept.push({ name: pair.name, value: pair.value });
        }
      }
      config[key] = kept;
    }
    return { config, secrets };
  }

  /** Sends `GET <baseUrl>`; any HTTP answer but 401/403/5xx counts as reachable. */
  async testConnection(ds: ResolvedDatasource): Promise<ConnectionTestResult> {
    const agent = this.createAgent(1, this.caCertOf(ds));
    try {
      const response = await this.sendWith(
        agent,
        ds,
        { method: 'GET', path: '', query: [], headers: {} },
        { timeoutMs: this.deps.connectTimeoutMs, maxRows: 1, maxBytes: 65_536 },
      );
      if (response.status === 401 || response.status === 403) {
        return {
          ok: false,
          message: `The API refused the credentials (HTTP ${response.status})`,
        };
      }
      if (response.status >= 500) {
        return { ok: false, message: `The API answered with an error (HTTP ${response.status})` };
      }
      return { ok: true, message: `Reached the API (HTTP ${response.status})` };
    } catch (error) {
      return { ok: false, message: toConnectionException(error).message };
    } finally {
      await agent.close().catch(() => undefined);
    }
  }

  /**
   * Sends one request with the datasource's secrets applied.
   * @param limits `timeoutMs` for the whole exchange including redirects; `maxBytes` of body
   *   read (the rest is discarded, `truncated: true`).
   * @throws DatasourceException 422 (egress denied, refused, redirect off the base URL,
   *   certificate) or 400 (a path that leaves the base URL).
   */
  async send(
    ds: ResolvedDatasource,
    request: RestRequest,
    limits: RunLimits,
  ): Promise<RestResponse> {
    const agent = await this.agents.get(ds.id, ds.version, () =>
      Promise.resolve(this.createAgent(this.deps.poolMax, this.caCertOf(ds))),
    );
    try {
      return await this.sendWith(agent, ds, request, limits);
    } catch (error) {
      throw toConnectionException(error);
    }
  }

  closePools(datasourceId: string): Promise<void> {
    return this.agents.close(datasourceId);
  }

  closeAll(): Promise<void> {
    return this.agents.closeAll();
  }

  /** The datasource's own CA certificate, if it has one (validated config). */
  private caCertOf(ds: ResolvedDatasource): string | undefined {
    return parseWith(schema, ds.config).caCert;
  }

  /**
   * An undici Agent whose every new socket goes through the egress check; with `caCert`, TLS
   * trusts that CA only (Node's `tls.connect` `ca` option replaces the default root store),
   * and the host name is still verified.
   */
  private createAgent(connections: number, caCert?: string): Agent {
    const base = buildConnector({
      timeout: this.deps.connectTimeoutMs,
      ...(caCert ? { ca: caCert } : {}),
    });
    return new Agent({
      connections,
      keepAliveTimeout: 10_000,
      connect: (options, callback) => {
        const hostname = options.hostname.replace(/^\[|\]$/g, '');
        const port = Number(options.port) || (options.protocol === 'https:' ? 443 : 80);
        this.deps.egress.resolve(hostname, port).then(
          (target) =>
            base(
              {
                ...options,
                hostname: target.addresses[0],
                // TLS verifies the name the user configured, not the address.
                ...(isIP(hostname) === 0 ? { servername: hostname } : {}),
              },
              callback,
            ),
          (error: Error) => callback(error, null),
        );
      },
    });
  }

  private async sendWith(
    agent: Agent,
    ds: ResolvedDatasource,
    request: RestRequest,
    limits: RunLimits,
  ): Promise<RestResponse> {
    const config: RestConfig = parseWith(schema, ds.config);
    const base = new URL(config.baseUrl);
    const basePath = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`;
    const within = (u: URL) =>
      u.origin === base.origin && (u.pathname === base.pathname || u.pathname.startsWith(basePath));
    // Leading slashes are dropped so `//other.host/x` stays a path below the base URL.
    let url =
      request.path === ''
        ? new URL(base.toString())
        : new URL(request.path.replace(/^\/+/, ''), base.origin + basePath);
    if (request.path !== '') {
      for (const [name, value] of base.searchParams) url.searchParams.append(name, value);
    }
    if (!within(url)) {
      throw new DatasourceException(
        DatasourceErrorCode.InvalidConfig,
        'path: must stay below the base URL',
      );
    }
    for (const p of config.queryParams) url.searchParams.append(p.name, p.value);
    for (const [name, value] of request.query) url.searchParams.append(name, value);
    const headers = this.headersFor(config, ds.secrets, request.headers);
    const signal = AbortSignal.timeout(limits.timeoutMs);
    let method: string = request.method;
    let body = request.body;
    for (let hop = 0; ; hop++) {
      const target = new URL(url);
      this.applySecretQuery(target, ds.secrets);
      const response = await undiciRequest(target, {
        dispatcher: agent,
        method,
        headers,
        body,
        signal,
        headersTimeout: limits.timeoutMs,
        bodyTimeout: limits.timeoutMs,
      });
      const location = response.headers.location;
      const isRedirect = [301, 302, 303, 307, 308].includes(response.statusCode);
      if (!isRedirect || typeof location !== 'string' || !config.followRedirects) {
        return this.readResponse(response, limits.maxBytes);
      }
      await response.body.dump();
      const next = new URL(location, url);
      if (hop + 1 > MAX_REDIRECTS) {
        throw new DatasourceException(
          DatasourceErrorCode.TargetRejected,
          `The API redirected more than ${MAX_REDIRECTS} times`,
        );
      }
      if (!within(next)) {
        throw new DatasourceException(
          DatasourceErrorCode.TargetRejected,
          'The API redirected outside the base URL; not followed, so credentials stay with it',
        );
      }
      if (
        response.statusCode === 303 ||
        ([301, 302].includes(response.statusCode) && method !== 'GET')
      ) {
        method = 'GET';
        body = undefined;
      }
      url = next;
    }
  }

  private headersFor(
    config: RestConfig,
    secrets: Record<string, string>,
    requestHeaders: Record<string, string>,
  ): Record<string, string> {
    const headers: Record<string, string> = {};
    const set = (name: string, value: string) => {
      if (RESERVED_HEADERS.has(name.toLowerCase()) || !HEADER_VALUE.test(value)) return;
      for (const existing of Object.keys(headers)) {
        if (existing.toLowerCase() === name.toLowerCase()) delete headers[existing];
      }
      headers[name] = value;
    };
    for (const [name, value] of Object.entries(requestHeaders)) set(name, value);
    for (const h of config.headers) set(h.name, h.value);
    // The datasource's credentials win over anything a query sets.
    if (secrets.bearerToken !== undefined) set('Authorization', `Bearer ${secrets.bearerToken}`);
    else if (secrets.basicUser !== undefined || secrets.basicPassword !== undefined) {
      const pair = `${secrets.basicUser ?? ''}:${secrets.basicPassword ?? ''}`;
      set('Authorization', `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`);
    }
    for (const [field, value] of Object.entries(secrets)) {
      if (field.startsWith('header:')) set(field.slice('header:'.length), value);
    }
    return headers;
  }

  private applySecretQuery(url: URL, secrets: Record<string, string>): void {
    for (const [field, value] of Object.entries(secrets)) {
      if (field.startsWith('query:')) url.searchParams.set(field.slice('query:'.length), value);
    }
  }

  private async readResponse(
    response: Awaited<ReturnType<typeof undiciRequest>>,
    maxBytes: number,
  ): Promise<RestResponse> {
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    for await (const chunk of response.body) {
      const buf = chunk as Buffer;
      if (size + buf.length > maxBytes) {
        chunks.push(buf.subarray(0, maxBytes - size));
        size = maxBytes;
        truncated = true;
        response.body.destroy();
        break;
      }
      chunks.push(buf);
      size += buf.length;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      // Cookies the API sets are its session credentials: never handed on.
      if (value === undefined || name.toLowerCase() === 'set-cookie') continue;
      headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    return { status: response.statusCode, headers, body: Buffer.concat(chunks), truncated };
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
