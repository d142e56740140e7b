import type { FastifyInstance } from 'fastify';
import { errorBody } from '../common/errors/http-exception.filter';
import type { MetricsService } from './metrics.service';

/**
 * `GET /metrics` on the main listener (outside `/api`): Prometheus text format when
 * `METRICS_TOKEN` is set and the request carries `Authorization: Bearer <token>`; 401 with
 * the token wrong or missing; 404 when no token is configured (metrics off, or only on
 * `METRICS_PORT`). Also counts refused sign-ins (401/429 answers of `POST /api/auth/login*`).
 */
export function registerMetricsRoute(fastify: FastifyInstance, metrics: MetricsService): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    if (request.method === 'POST' && request.url.startsWith('/api/auth/login')) {
      if (reply.statusCode === 401) metrics.recordSignInFailure('invalid');
      else if (reply.statusCode === 429) metrics.recordSignInFailure('throttled');
    }
    done();
  });
  fastify.get('/metrics', async (request, reply) => {
    const id = String(request.id);
    if (!metrics.servedWithToken) {
      return reply.status(404).send(errorBody(404, 'Cannot GET /metrics', id));
    }
    if (!metrics.authorized(request.headers.authorization)) {
      return reply
        .status(401)
        .header('www-authenticate', 'Bearer')
        .send(errorBody(401, 'Authorization: send Bearer and the METRICS_TOKEN', id));
    }
    const { contentType, body } = await metrics.scrape();
    return reply.header('content-type', contentType).header('cache-control', 'no-store').send(body);
  });
}
