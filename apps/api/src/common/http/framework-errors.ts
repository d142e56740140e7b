import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from '../errors/http-exception.filter';
import { CORRELATION_HEADER } from './correlation-id';
import { applySecurityHeaders } from './security-headers';

/**
 * Fastify's `frameworkErrors` option: errors Fastify answers itself before routing, so before
 * any `onRequest` hook and Nest's exception filter. Today a malformed URL (`FST_ERR_BAD_URL`,
 * e.g. `/api/%zz`) and a failing async route constraint (`FST_ERR_ASYNC_CONSTRAINT`, unused
 * here). The answer carries what every other answer carries: the fixed security headers, the
 * `x-correlation-id` header (the request id Fastify already made with `genReqId`),
 * `cache-control: no-store` and the usual error body. The URL itself is not echoed back.
 * HSTS is added only when the socket itself is TLS: Fastify builds this request without its
 * trusted-proxy view, so `X-Forwarded-Proto: https` is not seen here.
 */
export function answerFrameworkError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const correlationId = String(request.id);
  const badUrl = error.code === 'FST_ERR_BAD_URL';
  const status = badUrl ? 400 : 500;
  const message = badUrl
    ? 'The URL is not valid: it holds a malformed percent-encoding (a "%" not followed by two hex digits)'
    : 'Internal server error';
  if (!badUrl) request.log.error(`Framework error ${error.code} [${correlationId}]`);
  applySecurityHeaders(request, reply);
  void reply
    .status(status)
    .header(CORRELATION_HEADER, correlationId)
    .header('cache-control', 'no-store')
    .send(errorBody(status, message, correlationId));
}
