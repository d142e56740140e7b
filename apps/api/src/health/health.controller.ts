import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { THealthResponse } from '@bastion/contracts';
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
}
