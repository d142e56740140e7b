import fastifyStatic from '@fastify/static';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Serves the built web app from `dir` so one process serves everything: hashed assets are
 * cached for a year, every other non-API GET gets `index.html` (client-side routing).
 * Unknown `/api/...` paths still answer with the API's JSON 404.
 * @returns false when `dir` has no built app (the API runs alone).
 */
export async function registerWebApp(app: NestFastifyApplication, dir: string): Promise<boolean> {
  if (!existsSync(join(dir, 'index.html'))) {
    new Logger('WebApp').warn(`No built web app in ${dir}; serving the API only`);
    return false;
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    wildcard: false,
    index: false,
    // Without this, @fastify/send overwrites the Cache-Control set below with `max-age=0`.
    cacheControl: false,
    setHeaders: (res, path) => {
      res.setHeader(
        'cache-control',
        path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
  const fastify = app.getHttpAdapter().getInstance();
  fastify.get('/*', (request, reply) => {
    if (request.url === '/api' || request.url.startsWith('/api/')) {
      reply.callNotFound();
      return;
    }
    void reply.header('cache-control', 'no-cache').sendFile('index.html');
  });
  return true;
}
