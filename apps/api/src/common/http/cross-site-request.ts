import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { errorBody } from '../errors/http-exception.filter';
import { CORRELATION_HEADER } from './correlation-id';

/** Methods that never change state (RFC 9110 section 9.2.1, "Safe Methods"). */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** What {@link crossSiteRefusal} needs of a request. */
export interface RequestOrigin {
  method: string;
  /** The `Origin` request header, if any. */
  origin: string | undefined;
  /** The `Sec-Fetch-Site` request header, if any (Fetch Metadata, W3C). */
  secFetchSite: string | undefined;
  /**
   * This instance's own origins as the request reached it, normalised by {@link normaliseOrigin}:
   * one, or behind `TRUST_PROXY` each the proxies named (`X-Forwarded-Proto` x `-Host` lists).
   */
  ownOrigins: ReadonlySet<string>;
}

/**
 * Decides whether a state-changing request comes from another site and must be refused. This
 * is the defence for the routes no CSRF token can protect: sign-in and first-run setup (login
 * CSRF) and invitation acceptance (OWASP CSRF Prevention Cheat Sheet, "Fetch Metadata headers"
 * and "Verifying Origin with standard headers"). Refused, for POST/PUT/PATCH/DELETE:
 * - `Origin` present and neither the instance's own origin nor one of `allowedOrigins`
 *   (`CORS_ORIGINS`), `null` included (sandboxed frames, `file:` pages, some redirects);
 * - `Sec-Fetch-Site: cross-site` unless `Origin` is one of `allowedOrigins`.
 * A request with neither header (curl, scripts, the CLI) passes: no browser sent it.
 * @returns the refusal message, or null when the request may go on.
 */
export function crossSiteRefusal(
  request: RequestOrigin,
  allowedOrigins: ReadonlySet<string>,
): string | null {
  if (SAFE_METHODS.has(request.method.toUpperCase())) return null;
  const origin = request.origin;
  if (origin !== undefined && allowedOrigins.has(origin)) return null;
  if (
    request.secFetchSite?.toLowerCase() === 'cross-site' ||
    (origin !== undefined && !request.ownOrigins.has(normaliseOrigin(origin)))
  ) {
    return 'This request came from another site and was refused (Origin / Sec-Fetch-Site); use the Bastion web app or an API client without a browser';
  }
  return null;
}

/**
 * An origin as compared here: lower case, without the scheme's default port (a browser's
 * `Origin` omits it; a `Host` header may carry it: `app.example.com:443`).
 */
export function normaliseOrigin(origin: string): string {
  const lower = origin.trim().toLowerCase();
  if (lower.startsWith('https://') && lower.endsWith(':443')) return lower.slice(0, -4);
  if (lower.startsWith('http://') && lower.endsWith(':80')) return lower.slice(0, -3);
  return lower;
}

/**
 * The instance's own origins as this request reached it. Behind `TRUST_PROXY` a chain of
 * proxies may list several values (`X-Forwarded-Host: app.example.com, internal:3000`,
 * `X-Forwarded-Proto: https, http`): each pairing the proxies named counts, since those headers
 * are trusted there already.
 */
function ownOriginsOf(request: FastifyRequest, behindProxy: boolean): Set<string> {
  const origins = new Set([normaliseOrigin(`${request.protocol}://${request.host}`)]);
  if (!behindProxy) return origins;
  const list = (name: string) =>
    (header(request, name) ?? '')
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean);
  const protos = list('x-forwarded-proto').filter((p) => p === 'http' || p === 'https');
  const hosts = list('x-forwarded-host');
  for (const proto of protos.length > 0 ? protos : [request.protocol]) {
    for (const host of hosts.length > 0 ? hosts : [request.host]) {
      origins.add(normaliseOrigin(`${proto}://${host}`));
    }
  }
  return origins;
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : Array.isArray(value) ? value.join(',') : undefined;
}

/**
 * Refuses cross-site state-changing requests with 403 before routing, for every route (public
 * ones included), with the usual error body. `corsOrigins` are the exact `CORS_ORIGINS`
 * entries (`*` never admits a cookie-bearing write: it is not an origin).
 */
export function registerCrossSiteRequestPolicy(
  app: NestFastifyApplication,
  corsOrigins: readonly string[],
  behindProxy: boolean,
): void {
  const allowed = new Set(corsOrigins.filter((o) => o !== '*'));
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (request, reply, done) => {
      const refusal = crossSiteRefusal(
        {
          method: request.method,
          origin: header(request, 'origin'),
          secFetchSite: header(request, 'sec-fetch-site'),
          ownOrigins: ownOriginsOf(request, behindProxy),
        },
        allowed,
      );
      if (!refusal) {
        done();
        return;
      }
      const correlationId = String(request.id);
      void reply
        .status(403)
        .header(CORRELATION_HEADER, correlationId)
        .header('cache-control', 'no-store')
        .send(errorBody(403, refusal, correlationId));
    });
}
