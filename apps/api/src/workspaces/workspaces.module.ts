import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module';
import { InstanceSettingEntity } from '../database/instance-setting.entity';
import { MeController } from './me.controller';
import { MembershipEntity } from './membership.entity';
import { SetupController } from './setup.controller';
import { WorkspaceController } from './workspace.controller';
import { WorkspaceRepository } from './workspace.repository';
import { WorkspaceRoleGuard } from './workspace-role.guard';
import { WorkspaceService } from './workspace.service';
import { WorkspaceEntity } from './workspace.entity';

/**
 * Workspaces, memberships and roles; first-run setup and `/api/me`. Exports the role guard
 * (used through `@WorkspaceRole(...)`) so every module can protect `/workspaces/:wid` routes.
 */
@Module({
  imports: [
    AuthModule,
    TypeOrmModule.forFeature([WorkspaceEntity, MembershipEntity, InstanceSettingEntity]),
  ],
  controllers: [WorkspaceController, SetupController, MeController],
  providers: [WorkspaceService, WorkspaceRepository, WorkspaceRoleGuard],
  exports: [WorkspaceService, WorkspaceRepository, WorkspaceRoleGuard],
})
export class WorkspacesModule {}
