import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import type { TErrorResponse } from '@bastion/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ZodValidationException } from 'nestjs-zod';
import { ZodError } from 'zod';
import { redactText, redactUrl } from '../logging/redact-text';
import { AppException } from './app.exception';
import { VersionConflictException } from '../http/optimistic-concurrency';
import { isMetadataStoreOutage, MetadataStoreUnavailableException } from './metadata-store';

/** Formats zod issues as `body.email: must be an email address; ...`, naming each field. */
export function describeZodError(error: ZodError, prefix = ''): string {
  return error.issues
    .slice(0, 10)
    .map((issue) => {
      const path = [prefix, ...issue.path.map(String)].filter((p) => p !== '').join('.');
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  421: 'Misdirected Request',
  422: 'Unprocessable Entity',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** The error body of every 4xx/5xx answer: `{statusCode, error, message, correlationId}`. */
export function errorBody(status: number, message: string, correlationId: string): TErrorResponse {
  return {
    statusCode: status,
    error: REASONS[status] ?? (status >= 500 ? 'Server Error' : 'Error'),
    message,
    correlationId,
  };
}

/**
 * The one global exception filter: clear messages for 4xx, a generic message for 5xx, and the
 * request's correlation id on every error. Unexpected errors are logged with secrets redacted.
 * A lost metadata-store connection anywhere is a 503 `metadata_store_unavailable` with
 * `Retry-After` (common/errors/metadata-store.ts), not a 500.
 */
@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const request = ctx.getRequest<FastifyRequest>();
    const reply = ctx.getResponse<FastifyReply>();
    const outage = !(exception instanceof AppException) && isMetadataStoreOutage(exception);
    const described = outage ? new MetadataStoreUnavailableException() : exception;
    const { status, message } = this.describe(described);
    const correlationId = String(request.id);

    if (status >= 500 && !outage) {
      const err = exception instanceof Error ? exception : new Error(String(exception));
      this.logger.error(
        `${request.method} ${redactUrl(request.url.split('?')[0])} failed [${correlationId}]: ${redactText(err.message)}`,
        err.stack,
      );
    }

    if (outage) this.logger.warn(`${request.method} answered 503: metadata database unavailable`);
    const body = errorBody(status, message, correlationId);
    // A stale If-Match names the version the resource is at now, so a client can reload or retry.
    if (exception instanceof VersionConflictException)
      body.currentVersion = exception.currentVersion;
    if (described instanceof MetadataStoreUnavailableException) body.code = described.code;
    if (described instanceof AppException && described.retryAfterSeconds !== undefined) {
      void reply.header('retry-after', String(described.retryAfterSeconds));
    }
    void reply.status(status).header('cache-control', 'no-store').send(body);
  }

  private describe(exception: unknown): { status: number; message: string } {
    if (exception instanceof ZodValidationException) {
      const zodError = exception.getZodError();
      return {
        status: 400,
        message: zodError instanceof ZodError ? describeZodError(zodError) : 'Invalid request',
      };
    }
    if (exception instanceof AppException) {
      // Domain 503/504 messages ("ran longer than its 5000 ms limit", "too busy") are written for
      // the user and carry no internals; any other 5xx stays generic.
      const speaks = exception.status < 500 || exception.status === 503 || exception.status === 504;
      return {
        status: exception.status,
        message: speaks ? exception.message : 'Internal server error',
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status === 415) {
        // Fastify's FST_ERR_CTP_INVALID_MEDIA_TYPE (Nest maps it to an HttpException): its text
        // "Unsupported Media Type: x" echoes the header and names no remedy.
        return {
          status,
          message:
            'Content-Type: this content type is not accepted; send the body as application/json',
        };
      }
      if (status >= 500) return { status, message: 'Internal server error' };
      const response = exception.getResponse();
      const message =
        typeof response === 'string'
          ? response
          : typeof response === 'object' && response !== null && 'message' in response
            ? ([] as unknown[]).concat((response as { message: unknown }).message).join('; ')
            : exception.message;
      return { status, message };
    }
    // Fastify's own errors (invalid JSON, body too large, wrong content type) carry a 4xx code.
    if (
      exception instanceof Error &&
      'statusCode' in exception &&
      typeof exception.statusCode === 'number' &&
      exception.statusCode >= 400 &&
      exception.statusCode < 500
    ) {
      return { status: exception.statusCode, message: exception.message };
    }
    return { status: HttpStatus.INTERNAL_SERVER_ERROR, message: 'Internal server error' };
  }
}
