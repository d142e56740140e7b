import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** Header that carries the correlation id, in requests (optional) and every response. */
export const CORRELATION_HEADER = 'x-correlation-id';

const SAFE_ID = /^[A-Za-z0-9._-]{8,64}$/;

/**
 * Fastify `genReqId`: reuses a well-formed incoming correlation id (from a proxy), else makes
 * a random UUID. Anything else is ignored so a client cannot inject text into logs.
 */
export function generateCorrelationId(req: IncomingMessage): string {
  const incoming = req.headers[CORRELATION_HEADER];
  return typeof incoming === 'string' && SAFE_ID.test(incoming) ? incoming : randomUUID();
}
