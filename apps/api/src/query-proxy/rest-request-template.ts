import type { TJsonValue, TRestQueryBody } from '@bastion/contracts';
import type { RestRequest } from '../datasources/connectors/connector';
import { QueryErrorCode, QueryException } from './query.exception';

const PLACEHOLDERS = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
const WHOLE = /^\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$/;
/** RFC 9110 §5.6.2 token: the only characters a header name may hold. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Headers the transport owns; a query may not set them. */
const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'upgrade',
  'te',
  'trailer',
]);

const invalid = (message: string) => new QueryException(QueryErrorCode.InvalidParams, message);

function namesIn(text: string, into: Set<string>): void {
  for (const m of text.matchAll(PLACEHOLDERS)) into.add(m[1]);
}

function jsonNames(value: TJsonValue | undefined, into: Set<string>): void {
  if (typeof value === 'string') namesIn(value, into);
  else if (Array.isArray(value)) value.forEach((v) => jsonNames(v, into));
  else if (value && typeof value === 'object')
    Object.values(value).forEach((v) => jsonNames(v, into));
}

/** Every `{{ name }}` a REST body uses (path, query values, header values, JSON body strings). */
export function restPlaceholderNames(body: TRestQueryBody): string[] {
  const names = new Set<string>();
  namesIn(body.path, names);
  Object.values(body.query ?? {}).forEach((v) => namesIn(v, names));
  Object.values(body.headers ?? {}).forEach((v) => namesIn(v, names));
  jsonNames(body.body, names);
  return [...names];
}

const asText = (value: unknown): string =>
  value === null || value === undefined
    ? ''
    : typeof value === 'string'
      ? value
      : typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint'
        ? String(value)
        : JSON.stringify(value);

function interpolate(
  template: string,
  params: Map<string, unknown>,
  encode: (s: string) => string,
): string {
  return template.replace(PLACEHOLDERS, (_m, name: string) => encode(asText(params.get(name))));
}

/** True when `text` holds a C0 control character or DEL. */
function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** A path segment that a URL parser would treat as `.` or `..` (also `%2e%2E` spellings). */
function isDotSegment(segment: string): boolean {
  let decoded: string;
  try {
    decoded = decodeURIComponent(segment);
  } catch {
    return true;
  }
  return decoded === '.' || decoded === '..';
}

/**
 * Builds the path below the base URL: literal text is kept (and must be a plain relative path),
 * each parameter is percent-encoded as one segment's data (RFC 3986 §3.3; `/`, `?`, `#`, `%`
 * included), and no resulting segment may be `.` or `..` in any spelling, so the request can
 * never leave the base URL's path.
 */
function buildPath(template: string, params: Map<string, unknown>): string {
  const literal = template.replace(PLACEHOLDERS, '');
  if (
    /[?#\\]|^[a-z][a-z0-9+.-]*:|^\/\//i.test(literal) ||
    hasControlCharacter(literal) ||
    /@/.test(literal.split('/')[0] ?? '')
  ) {
    throw invalid(
      'The path must be a relative path below the base URL (put query parameters in "query")',
    );
  }
  const path = interpolate(template, params, (s) => encodeURIComponent(s));
  const segments = path.split('/');
  if (segments.some(isDotSegment)) {
    throw invalid('The path may not contain "." or ".." segments: it must stay under the base URL');
  }
  if (path === '') return '';
  return path.startsWith('/') ? path : `/${path}`;
}

/** A templated JSON body: JSON values, and bigints where an `integer` parameter went. */
type TemplatedJson = TJsonValue | bigint | TemplatedJson[] | { [key: string]: TemplatedJson };

function templateJson(value: TJsonValue, params: Map<string, unknown>): TemplatedJson {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value);
    // A string that is only a placeholder takes the parameter's JSON value (number stays number).
    if (whole) return (params.get(whole[1]) ?? null) as TemplatedJson;
    return interpolate(value, params, (s) => s);
  }
  if (Array.isArray(value)) return value.map((v) => templateJson(v, params));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, templateJson(v, params)]));
  }
  return value;
}

/**
 * JSON text of a templated body (RFC 8259): as `JSON.stringify`, except that a bigint (an
 * `integer` parameter) is written as its exact number token (`9007199254740993`), which
 * `JSON.stringify` refuses and a double would round.
 */
function jsonText(value: TemplatedJson): string {
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return `[${value.map(jsonText).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const members = Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${jsonText(v)}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Templates a saved REST query with checked parameter values, encoding each per position:
 * path segments percent-encoded; query values passed raw to the connector, which
 * form-encodes them (WHATWG URLSearchParams); header values refused if they hold CR, LF or NUL
 * (RFC 9110 §5.5, response splitting); JSON body values inserted as JSON (RFC 8259), never as
 * text pasted into JSON; an `integer` parameter as its exact number token, as text elsewhere.
 * @throws QueryException(InvalidParams, 400) for a path escaping the base URL, a bad header.
 */
export function buildRestRequest(body: TRestQueryBody, params: Map<string, unknown>): RestRequest {
  const headers: Record<string, string> = {};
  for (const [name, template] of Object.entries(body.headers ?? {})) {
    if (!HEADER_NAME.test(name)) throw invalid(`Header name "${name}" is not a valid token`);
    if (RESERVED_HEADERS.has(name.toLowerCase()))
      throw invalid(`Header "${name}" cannot be set by a query`);
    const value = interpolate(template, params, (s) => s);
    if (/[\r\n\0]/.test(value))
      throw invalid(`Header "${name}" may not contain line breaks or NUL`);
    headers[name] = value;
  }
  const query: [string, string][] = [];
  for (const [key, template] of Object.entries(body.query ?? {})) {
    const whole = WHOLE.exec(template);
    if (whole && params.get(whole[1]) === null) continue; // an absent optional value: omit it
    query.push([key, interpolate(template, params, (s) => s)]);
  }
  const request: RestRequest = {
    method: body.method,
    path: buildPath(body.path, params),
    query,
    headers,
  };
  if (body.body !== undefined && body.method !== 'GET') {
    request.body = jsonText(templateJson(body.body, params));
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
      headers['content-type'] = 'application/json';
    }
  }
  return request;
}

/**
 * Resolves `path` against `baseUrl` the way a client would and checks it stays under it:
 * same scheme, host and port, and the base path as a prefix. Used by the tests and as a
 * defence in depth before the connector sends.
 * @returns the final URL text.
 * @throws QueryException(InvalidParams, 400) when it would leave the base URL.
 */
export function resolveUnderBase(
  baseUrl: string,
  request: Pick<RestRequest, 'path' | 'query'>,
): string {
  const base = new URL(baseUrl);
  const basePath = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`;
  const url = new URL(base.toString());
  url.pathname = (basePath + request.path.replace(/^\//, '')).replace(/\/$/, '') || '/';
  if (request.path === '') url.pathname = base.pathname;
  for (const [k, v] of request.query) url.searchParams.append(k, v);
  const underBase =
    url.protocol === base.protocol &&
    url.host === base.host &&
    (url.pathname === base.pathname || url.pathname.startsWith(basePath));
  if (!underBase) throw invalid('The request would leave the datasource base URL');
  return url.toString();
}
