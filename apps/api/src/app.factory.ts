import fastifyCookie from '@fastify/cookie';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import type { DestinationStream } from 'pino';
import { AppModule } from './app.module';
import type { AppConfig } from './config/app-config';
import { CORRELATION_HEADER, generateCorrelationId } from './common/http/correlation-id';
import { registerAllowedHosts } from './common/http/allowed-hosts';
import { registerCors } from './common/http/cors';
import { registerCrossSiteRequestPolicy } from './common/http/cross-site-request';
import { answerFrameworkError } from './common/http/framework-errors';
import { registerJsonNumberGuard } from './common/http/json-number-guard';
import { DrainState } from './common/lifecycle/drain-state';
import { registerDrainHooks } from './common/lifecycle/graceful-drain';
import { MetricsService } from './metrics/metrics.service';
import { registerMetricsRoute } from './metrics/metrics-route';
import { setupOpenApi } from './common/http/open-api';
import { registerSecurityHeaders } from './common/http/security-headers';
import { registerWebApp } from './common/http/web-app';
import {
  createAppLogger,
  PinoNestLogger,
  registerRequestLogging,
} from './common/logging/app-logger';

export interface CreateAppOptions {
  /** Where log lines go; tests pass a memory stream to scan them for secrets. */
  logStream?: DestinationStream;
}

/** `TRUST_PROXY`: `true`, a hop count, or a comma list of addresses/CIDRs (Fastify semantics). */
function parseTrustProxy(value: string | undefined): boolean | number | string {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  return /^\d+$/.test(value) ? Number(value) : value;
}

/** Reads a TLS file; the error names the variable and the OS error code, not the path's content. */
function readTlsFile(path: string, variable: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new Error(
      `${variable}: cannot read the file (${code}). Fix: point it at a PEM file the server's user can read.`,
    );
  }
}

/** Advisory lock key that serializes boots (migrations, vault canary) on one PostgreSQL database. */
const BOOT_LOCK_KEY = 7_264_019_551;
/** Longest wait for another replica's boot before giving up (the restart policy retries). */
const BOOT_LOCK_TIMEOUT = '120s';

/**
 * Runs `boot` holding a PostgreSQL session advisory lock, so replicas starting together on
 * one database run migrations and first-boot writes one after another instead of racing
 * (TypeORM takes no lock itself). Advisory locks are per database and end with the session,
 * so a crashed replica never leaves it held (PostgreSQL docs, "Advisory Locks"). SQLite needs
 * none: one process owns the file.
 */
async function withBootLock<T>(
  databaseUrl: string | undefined,
  boot: () => Promise<T>,
): Promise<T> {
  if (!databaseUrl) return boot();
  const client = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: 10_000 });
  // A dropped connection while we wait must not crash the process with an unhandled event.
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(`SET lock_timeout = '${BOOT_LOCK_TIMEOUT}'`);
    await client.query('SELECT pg_advisory_lock($1)', [BOOT_LOCK_KEY]);
    return await boot();
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Builds the whole API (not yet listening): Fastify with correlation ids and logs (see createAppLogger), TLS
 * when configured, security headers, CORS, cookies, OpenAPI, the built web app when
 * configured. Migrations and first-boot writes run during creation, under the boot lock on
 * PostgreSQL ({@link withBootLock}).
 * @throws Error naming TLS_CERT_FILE/TLS_KEY_FILE when a TLS file cannot be read; boot errors
 *   of the modules (database unreachable, vault key refused) as they are.
 */
export async function createApp(
  config: AppConfig,
  options: CreateAppOptions = {},
): Promise<NestFastifyApplication> {
  const logger = createAppLogger(config.logLevel, options.logStream);
  const adapter = new FastifyAdapter({
    loggerInstance: logger,
    genReqId: generateCorrelationId,
    requestIdLogLabel: 'correlationId',
    // Fastify's request lines are at info; registerRequestLogging logs them at debug instead.
    disableRequestLogging: true,
    trustProxy: parseTrustProxy(config.trustProxy),
    bodyLimit: 1_048_576,
    // Malformed URLs get the security headers, correlation id and error body of every answer.
    frameworkErrors: answerFrameworkError,
    // The graceful drain (common/lifecycle/graceful-drain.ts) closes only once traffic has
    // moved away; a request that still arrives while closing is answered, not refused with 503.
    return503OnClosing: false,
    ...(config.tls
      ? {
          https: {
            cert: readTlsFile(config.tls.certFile, 'TLS_CERT_FILE'),
            key: readTlsFile(config.tls.keyFile, 'TLS_KEY_FILE'),
          },
        }
      : {}),
  } as ConstructorParameters<typeof FastifyAdapter>[0]);
  return withBootLock(config.databaseUrl, async () => {
    const app = await NestFactory.create<NestFastifyApplication>(
      AppModule.forRoot(config),
      adapter,
      {
        logger: new PinoNestLogger(logger),
        abortOnError: false,
        // Nest would add an application/x-www-form-urlencoded parser, which lets a cross-site
        // HTML form post to sign-in and setup; Fastify's own JSON parser is the only one kept.
        bodyParser: false,
      },
    );
    await configureApp(app, config);
    return app;
  });
}

/** Prefix, hooks, headers, CORS, cookies, docs and web app; then `init` (module init hooks). */
async function configureApp(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  app.setGlobalPrefix('api');
  // No `enableShutdownHooks()`: SIGTERM/SIGINT start the graceful drain (main.ts), which
  // calls `app.close()` (and so every shutdown hook) once traffic has moved away.
  const fastify = app.getHttpAdapter().getInstance();
  registerRequestLogging(fastify);
  registerDrainHooks(fastify, app.get(DrainState));
  registerMetricsRoute(fastify, app.get(MetricsService));
  // Every body is JSON: without Fastify's default text/plain parser (and Nest's urlencoded one,
  // see `bodyParser: false`) any other body is a clear 415
  // instead of a string that fails validation with an unclear 400.
  fastify.removeContentTypeParser('text/plain');
  // A JSON number the parse would change (9007199254740993 -> ...992) is a 400, not a new value.
  registerJsonNumberGuard(fastify);
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header(CORRELATION_HEADER, request.id);
    done();
  });
  registerSecurityHeaders(app);
  registerCors(app, config.corsOrigins);
  const behindProxy = parseTrustProxy(config.trustProxy) !== false;
  registerCrossSiteRequestPolicy(app, config.corsOrigins, behindProxy);
  // Plain HTTP reached directly: the DNS-rebinding defence (see allowed-hosts.ts for why not
  // over TLS or behind a proxy).
  if (!config.tls && !behindProxy) {
    registerAllowedHosts(app, config.allowedHosts);
  }
  await app.register(fastifyCookie);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  setupOpenApi(app, (require('../package.json') as { version: string }).version);
  if (config.serveWeb) await registerWebApp(app, config.webDistDir);
  await app.init();
}
