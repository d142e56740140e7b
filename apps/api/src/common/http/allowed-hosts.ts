import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { isIP } from 'node:net';
import { errorBody } from '../errors/http-exception.filter';
import { CORRELATION_HEADER } from './correlation-id';

/** The host name of a `Host` header value: lower case, no port, no IPv6 brackets. */
function hostNameOf(host: string): string {
  const value = host.trim().toLowerCase();
  if (value.startsWith('['))
    return value.slice(1, value.indexOf(']') === -1 ? undefined : value.indexOf(']'));
  const colon = value.lastIndexOf(':');
  return colon === -1 ? value : value.slice(0, colon);
}

/**
 * Decides whether a plain-HTTP request names a host this instance answers to. A DNS-rebinding
 * page (a name of the attacker's that resolves to this server) reaches the server same-origin
 * from the browser's view, `Origin` and `Host` alike, so only the `Host` name itself tells it
 * apart (OWASP, "DNS rebinding"; the same check as Django's ALLOWED_HOSTS). Answered: IP
 * literals (v4, v6), `localhost` and `*.localhost` (RFC 6761 section 6.3: never resolved by a
 * public DNS), and the names in `allowedHosts` (`ALLOWED_HOSTS`).
 * @returns the refusal message, or null when the host is one of those.
 */
export function hostRefusal(
  host: string | undefined,
  allowedHosts: ReadonlySet<string>,
): string | null {
  const name = host === undefined ? '' : hostNameOf(host);
  if (name !== '' && (isIP(name) !== 0 || name === 'localhost' || name.endsWith('.localhost'))) {
    return null;
  }
  if (allowedHosts.has(name)) return null;
  return (
    'Host: this instance answers plain-HTTP requests only to its addresses and localhost; ' +
    'to reach it by a name, list the name in ALLOWED_HOSTS (or serve it over HTTPS)'
  );
}

/**
 * Refuses plain-HTTP requests to host names not in `ALLOWED_HOSTS` with 421 Misdirected Request
 * (RFC 9110 section 15.5.20), before routing. Registered only when the server is reached over
 * plain HTTP directly: over TLS a rebound name fails the certificate check, and behind a reverse
 * proxy (`TRUST_PROXY`) the proxy routes by its own configured names.
 */
export function registerAllowedHosts(
  app: NestFastifyApplication,
  allowedHosts: readonly string[],
): void {
  const allowed = new Set(allowedHosts.map((h) => h.toLowerCase()));
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (request, reply, done) => {
      const refusal = hostRefusal(request.headers.host, allowed);
      if (!refusal) {
        done();
        return;
      }
      const correlationId = String(request.id);
      void reply
        .status(421)
        .header(CORRELATION_HEADER, correlationId)
        .header('cache-control', 'no-store')
        .send(errorBody(421, refusal, correlationId));
    });
}
