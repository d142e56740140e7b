import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { THealthResponse, TLivenessResponse, TReadinessResponse } from '@bastion/contracts';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/request-context';
import { HealthService } from './health.service';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  /**
   * `GET /api/health` -> `{status,database,vault,version}`; no sign-in needed.
   * Answers 200 when everything is ok and 503 when degraded, for load-balancer checks.
   */
  @Public()
  @Get()
  @ApiOkResponse({ description: 'Process, metadata database and vault status' })
  async get(@Res({ passthrough: true }) reply: FastifyReply): Promise<THealthResponse> {
    const result = await this.health.check();
    void reply.status(result.status === 'ok' ? 200 : 503);
    return result;
  }

  /**
   * `GET /api/health/ready` -> `{status,database,vault}`; no sign-in needed. 200 `ready` when the
   * metadata database and the vault are ok; 503 `draining` from the shutdown signal on (the
   * process still answers for `SHUTDOWN_DRAIN_MS`), 503 `not_ready` when a dependency is down.
   * For load balancers and orchestrators deciding where to send traffic.
   */
  @Public()
  @Get('ready')
  @ApiOkResponse({ description: 'Ready for traffic (503 when draining or a dependency is down)' })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<TReadinessResponse> {
    const result = await this.health.readiness();
    void reply.status(result.status === 'ready' ? 200 : 503).header('cache-control', 'no-store');
    return result;
  }

  /**
   * `GET /api/health/live` -> `{status:'alive'}`, always 200 while the process answers (also
   * during the drain); touches no dependency. For a restart policy, not for routing.
   */
  @Public()
  @Get('live')
  @ApiOkResponse({ description: 'The process answers' })
  live(): TLivenessResponse {
    return { status: 'alive' };
  }
}
