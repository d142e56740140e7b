import type { FastifyRequest } from 'fastify';

/** A host name or IPv4 address, or a bracketed IPv6 address, optionally with `:port`. */
const HOST = /^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

/**
 * The origin the browser used for this request (`https://host:port`), for links the server
 * hands out (invitation links). Scheme and host come from Fastify: with `TRUST_PROXY` set they
 * follow the trusted proxy's `X-Forwarded-Proto` / `X-Forwarded-Host`, else the connection
 * and the `Host` header (RFC 9110 7.2).
 * @returns null when the host is missing or malformed (the caller answers 400).
 */
export function publicOrigin(request: FastifyRequest): string | null {
  const host = request.host;
  if (!host || !HOST.test(host)) return null;
  const protocol = request.protocol === 'https' ? 'https' : 'http';
  return `${protocol}://${host}`;
}
