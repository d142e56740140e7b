import { Global, Module } from '@nestjs/common';
import { DrainState } from '../common/lifecycle/drain-state';
import { HealthController } from './health.controller';
import { HealthService } from './health.service';

/** Health, readiness and liveness checks; owns the process's {@link DrainState}. */
@Global()
@Module({
  controllers: [HealthController],
  providers: [HealthService, DrainState],
  exports: [DrainState],
})
export class HealthModule {}
