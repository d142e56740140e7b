import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { WorkspacesModule } from '../workspaces/workspaces.module';
import { AuditChainHeadEntity } from './audit-chain-head.entity';
import { AuditCheckpointEntity } from './audit-checkpoint.entity';
import { AuditEventEntity } from './audit-event.entity';
import { AuditController, InstanceAuditController, MyAuditController } from './audit.controller';
import { AuditQueryService } from './audit-query.service';
import { AuditRetentionService } from './audit-retention.service';
import { AuditVerifyService } from './audit-verify.service';
import { AuditRepository } from './audit.repository';
import { AuditService } from './audit.service';
import { AuditSinkCursorEntity } from './audit-sink-cursor.entity';
import { AuditSinkCursorRepository } from './audit-sink-cursor.repository';
import { AuditShipperService } from './shipping/audit-shipper.service';

/**
 * The append-only, hash-chained audit log (README.md in this folder). Global: any module can
 * inject {@link AuditService} and call `record(...)`.
 */
@Global()
@Module({
  imports: [
    WorkspacesModule,
    TypeOrmModule.forFeature([
      AuditEventEntity,
      AuditChainHeadEntity,
      AuditCheckpointEntity,
      AuditSinkCursorEntity,
    ]),
  ],
  controllers: [AuditController, InstanceAuditController, MyAuditController],
  providers: [
    AuditRepository,
    AuditService,
    AuditQueryService,
    AuditVerifyService,
    AuditRetentionService,
    AuditSinkCursorRepository,
    AuditShipperService,
  ],
  exports: [AuditService, AuditVerifyService, AuditRetentionService, AuditShipperService],
})
export class AuditModule {}
