import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Header that carries the correlation id, in requests (optional) and every response. */
export const CORRELATION_HEADER = 'x-correlation-id';

/** A UUID of any version (RFC 9562 section 4 text form), either case. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Fastify `genReqId`: reuses an incoming correlation id only when it is a UUID (any version,
 * normalised to lower case), else makes a random UUID v4. Anything else (a newline, a long or
 * free-form value) is ignored, so a client cannot put text of its choosing into log lines,
 * error bodies or audit entries (OWASP Logging Cheat Sheet, "event data sources": untrusted).
 */
export function generateCorrelationId(req: IncomingMessage): string {
  const incoming = req.headers[CORRELATION_HEADER];
  return typeof incoming === 'string' && UUID.test(incoming)
    ? incoming.toLowerCase()
    : randomUUID();
}
