import fastifyCookie from '@fastify/cookie';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { readFileSync } from 'node:fs';
import type { DestinationStream } from 'pino';
import { AppModule } from './app.module';
import type { AppConfig } from './config/app-config';
import { CORRELATION_HEADER, generateCorrelationId } from './common/http/correlation-id';
import { setupOpenApi } from './common/http/open-api';
import { registerSecurityHeaders } from './common/http/security-headers';
import { registerWebApp } from './common/http/web-app';
import { createAppLogger, PinoNestLogger } from './common/logging/app-logger';

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

/**
 * Builds the whole API (not yet listening): Fastify with correlation ids and JSON logs,
 * security headers, cookies, OpenAPI, the built web app when configured. Migrations run
 * during init.
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
    trustProxy: parseTrustProxy(config.trustProxy),
    bodyLimit: 1_048_576,
    ...(config.tls
      ? {
          https: {
            cert: readFileSync(config.tls.certFile),
            key: readFileSync(config.tls.keyFile),
          },
        }
      : {}),
  } as ConstructorParameters<typeof FastifyAdapter>[0]);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    logger: new PinoNestLogger(logger),
    abortOnError: false,
  });
  app.setGlobalPrefix('api');
  app.enableShutdownHooks();
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (request, reply, done) => {
      void reply.header(CORRELATION_HEADER, request.id);
      done();
    });
  await registerSecurityHeaders(app);
  await app.register(fastifyCookie);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  setupOpenApi(app, (require('../package.json') as { version: string }).version);
  if (config.serveWeb) await registerWebApp(app, config.webDistDir);
  await app.init();
  return app;
}
