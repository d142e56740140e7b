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
  /** This instance's own origin as the request reached it: `<protocol>://<host[:port]>`. */
  ownOrigin: string;
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
    (origin !== undefined && origin !== request.ownOrigin)
  ) {
    return 'This request came from another site and was refused (Origin / Sec-Fetch-Site); use the Bastion web app or an API client without a browser';
  }
  return null;
}

/** The instance's own origin as this request reached it (behind `TRUST_PROXY`: as the proxy saw it). */
function ownOriginOf(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`.toLowerCase();
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
          ownOrigin: ownOriginOf(request),
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
