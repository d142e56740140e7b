import { LoggerService } from '@nestjs/common';
import pino, { DestinationStream, Logger } from 'pino';
import pinoPretty from 'pino-pretty';
import type { FastifyInstance, FastifyRequest } from 'fastify';
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

/** How log lines are written: one JSON object per line, or one readable text line per event. */
export type LogFormat = 'json' | 'pretty';

/**
 * Readable lines for a person at a terminal, JSON for everything else (CI, `docker logs`, log
 * shippers, a pipe or a file), so a machine reader never gets text it cannot parse.
 * @param output the stream lines go to (`process.stdout`); only its `isTTY` flag is read.
 */
export function chooseLogFormat(output: { isTTY?: boolean }): LogFormat {
  return output.isTTY === true ? 'pretty' : 'json';
}

/**
 * Nest's boot chatter: one line per module ("X dependencies initialized"), per controller and
 * per route ("Mapped {/api/..., GET} route"). Useful when debugging routing, noise otherwise:
 * logged at debug instead of info.
 */
const BOOT_DETAIL_CONTEXTS = new Set([
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestFactory',
  'NestApplication',
]);

/**
 * The text form of a line ({@link chooseLogFormat} "pretty"): `[context] message`, and for a
 * request line its method, URL (already redacted by the serializer), status and duration.
 */
function readableMessage(log: Record<string, unknown>, messageKey: string): string {
  const message = log[messageKey];
  const text = typeof message === 'string' ? message : JSON.stringify(message ?? '');
  // "[Bastion] Bastion is ready: ..." reads better without its context.
  const context =
    typeof log.context === 'string' && !text.startsWith(log.context) ? `[${log.context}] ` : '';
  const req = log.req as { method?: string; url?: string } | undefined;
  const res = log.res as { statusCode?: number } | undefined;
  const parts = [`${context}${text}`];
  if (req?.method) parts.push(`${req.method} ${req.url ?? ''}`);
  if (res?.statusCode) parts.push(String(res.statusCode));
  if (typeof log.responseTime === 'number') parts.push(`${Math.round(log.responseTime)} ms`);
  return parts.join(' ');
}

/**
 * A pino-pretty stream writing to `destination` (fd 1: stdout): one line per event (`[10:42:07] INFO: message`),
 * colours when the terminal supports them (`NO_COLOR` turns them off). Redaction happens in
 * pino before a line reaches it, so the text form hides the same values as JSON.
 */
function prettyStream(destination: DestinationStream | number): DestinationStream {
  return pinoPretty({
    destination,
    translateTime: 'SYS:HH:MM:ss',
    singleLine: true,
    ignore: 'pid,hostname,service,context,correlationId,req,res,responseTime',
    messageFormat: readableMessage,
    // Synchronous, like pino's own stdout stream: no line is lost when the process exits.
    sync: true,
  });
}

/**
 * Creates the process-wide pino logger, secret-looking paths redacted.
 * @param stream where lines go: tests pass a memory stream to scan them; stdout by default.
 * @param format JSON lines or text; by default JSON into a given stream, and for stdout what
 *   {@link chooseLogFormat} picks (text on a terminal, else JSON lines).
 */
export function createAppLogger(
  level: string,
  stream?: DestinationStream,
  format: LogFormat = stream ? 'json' : chooseLogFormat(process.stdout),
): Logger {
  const destination = format === 'pretty' ? prettyStream(stream ?? 1) : stream;
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
    destination,
  );
}

/**
 * Request lines at debug (Fastify's own are at info, two per request): with the Fastify option
 * `disableRequestLogging: true`, these hooks log "incoming request" at trace and one
 * "request completed" line (method, URL, status, duration) at debug. `LOG_LEVEL=debug` shows
 * them again. Errors keep their own lines (the exception filter logs 5xx at error).
 */
export function registerRequestLogging(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    request.log.trace({ req: request }, 'incoming request');
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    request.log.debug(
      { req: request, res: reply, responseTime: reply.elapsedTime },
      'request completed',
    );
    done();
  });
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
    if (context !== undefined && BOOT_DETAIL_CONTEXTS.has(context)) {
      this.logger.debug({ context }, this.text(message));
    } else {
      this.logger.info({ context }, this.text(message));
    }
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
