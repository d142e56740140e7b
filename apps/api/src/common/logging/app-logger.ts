import { LoggerService } from '@nestjs/common';
import pino, { DestinationStream, Logger } from 'pino';
import type { FastifyRequest } from 'fastify';
import { redactText, redactUrl } from './redact-text';

/**
 * Paths pino removes from every log line (https://getpino.io/#/docs/redaction). Request logs
 * carry only method, url and address; these paths catch anything a module logs by mistake.
 */
export const LOG_REDACT_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  'password',
  '*.password',
  'secrets',
  '*.secrets',
  'token',
  '*.token',
  'params',
  '*.params',
  'rows',
  '*.rows',
  'config.password',
];

/**
 * Creates the process-wide pino logger: JSON lines, secret-looking paths redacted.
 * @param stream where lines go (stdout by default; tests pass a memory stream to scan them).
 */
export function createAppLogger(level: string, stream?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'bastion-api' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' },
      // Replaces Fastify's request serializer (same fields): the URL may carry an invitation
      // token (`/api/invitations/<token>`), which must never reach a log line.
      serializers: { req: serializeRequest },
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  );
}

function serializeRequest(req: FastifyRequest) {
  return {
    method: req.method,
    url: redactUrl(req.url),
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}

/** Routes Nest's `Logger` calls into pino, so every line is one JSON format. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, context?: string): void {
    this.logger.info({ context }, this.text(message));
  }
  error(message: unknown, stack?: string, context?: string): void {
    this.logger.error(
      { context, stack: stack ? redactText(stack) : undefined },
      this.text(message),
    );
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, this.text(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, this.text(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, this.text(message));
  }

  private text(message: unknown): string {
    return redactText(typeof message === 'string' ? message : JSON.stringify(message));
  }
}
