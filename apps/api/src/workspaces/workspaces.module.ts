import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth/auth.module';
import { InstanceSettingEntity } from '../database/instance-setting.entity';
import { InstanceSettingsController } from './instance-settings.controller';
import { InstanceSettingsService } from './instance-settings.service';
import { InvitationLinkController, WorkspaceInvitationController } from './invitation.controller';
import { InvitationEntity } from './invitation.entity';
import { InvitationRepository } from './invitation.repository';
import { InvitationService } from './invitation.service';
import { MeController } from './me.controller';
import { MembershipEntity } from './membership.entity';
import { SetupController } from './setup.controller';
import { WorkspaceController } from './workspace.controller';
import { WorkspaceRepository } from './workspace.repository';
import { WorkspaceRoleGuard } from './workspace-role.guard';
import { WorkspaceService } from './workspace.service';
import { WorkspaceEntity } from './workspace.entity';

/**
 * Workspaces, memberships and roles, invitations, instance settings; first-run setup and
 * `/api/me`. Exports the role guard
 * (used through `@WorkspaceRole(...)`) so every module can protect `/workspaces/:wid` routes.
 */
@Module({
  imports: [
    AuthModule,
    TypeOrmModule.forFeature([
      WorkspaceEntity,
      MembershipEntity,
      InstanceSettingEntity,
      InvitationEntity,
    ]),
  ],
  controllers: [
    WorkspaceController,
    WorkspaceInvitationController,
    InvitationLinkController,
    InstanceSettingsController,
    SetupController,
    MeController,
  ],
  providers: [
    WorkspaceService,
    WorkspaceRepository,
    WorkspaceRoleGuard,
    InvitationService,
    InvitationRepository,
    InstanceSettingsService,
  ],
  exports: [WorkspaceService, WorkspaceRepository, WorkspaceRoleGuard, InstanceSettingsService],
})
export class WorkspacesModule {}
