import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/** Methods and request headers a cross-origin caller may use (what the API itself accepts). */
const ALLOWED_METHODS = 'GET, POST, PATCH, PUT, DELETE';
const ALLOWED_HEADERS = 'content-type, x-csrf-token, x-correlation-id, if-match';
/** Seconds a browser may cache a preflight answer (Chromium caps it at 7200). */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * CORS for the origins in `CORS_ORIGINS` (Fetch standard, "CORS protocol"). With an empty list
 * nothing is registered: no `access-control-*` header is ever sent, so only the same origin
 * (the web app the API serves) can read responses. A listed origin is echoed with
 * `access-control-allow-credentials: true` (cookies work); `*` (refused in production) allows
 * anonymous reads only, since browsers never send cookies under `*`. Preflights from an
 * allowed origin are answered here with 204; others fall through and get no CORS headers.
 */
export function registerCors(app: NestFastifyApplication, origins: readonly string[]): void {
  if (origins.length === 0) return;
  const exact = new Set(origins.filter((o) => o !== '*'));
  const any = origins.includes('*');
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (request, reply, done) => {
      // Responses differ by Origin: shared caches must key on it.
      void reply.header('vary', 'Origin');
      const origin = request.headers.origin;
      const listed = typeof origin === 'string' && exact.has(origin);
      if (!listed && !(any && typeof origin === 'string')) {
        done();
        return;
      }
      if (listed) {
        void reply.header('access-control-allow-origin', origin);
        void reply.header('access-control-allow-credentials', 'true');
      } else {
        void reply.header('access-control-allow-origin', '*');
      }
      void reply.header('access-control-expose-headers', 'x-correlation-id, etag');
      if (request.method === 'OPTIONS' && request.headers['access-control-request-method']) {
        void reply
          .header('access-control-allow-methods', ALLOWED_METHODS)
          .header('access-control-allow-headers', ALLOWED_HEADERS)
          .header('access-control-max-age', String(PREFLIGHT_MAX_AGE_SECONDS))
          .code(204)
          .send();
        return;
      }
      done();
    });
}
