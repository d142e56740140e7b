import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { TMeResponse } from '@bastion/contracts';
import { AuthContext, CurrentSession } from '../auth/request-context';
import { InstanceSettingsService } from './instance-settings.service';
import { WorkspaceService } from './workspace.service';

@ApiTags('auth')
@Controller('me')
export class MeController {
  constructor(
    private readonly workspaces: WorkspaceService,
    private readonly instanceSettings: InstanceSettingsService,
  ) {}

  /**
   * `GET /api/me` -> {user:{id,email,twoFactorEnabled,isInstanceAdmin},
   * memberships:[{workspaceId,workspaceName,role}],csrfToken,canCreateWorkspaces}. 401 when
   * signed out.
   */
  @Get()
  async me(@CurrentSession() session: AuthContext): Promise<TMeResponse> {
    const isInstanceAdmin = await this.instanceSettings.isInstanceAdmin(session.user.id);
    return {
      user: {
        id: session.user.id,
        email: session.user.email,
        twoFactorEnabled: session.user.totpEnabled,
        isInstanceAdmin,
      },
      canCreateWorkspaces:
        isInstanceAdmin || (await this.instanceSettings.get()).workspaceCreation === 'everyone',
      memberships: await this.workspaces.listForUser(session.user.id),
      csrfToken: session.csrfToken,
      signInMethod: session.signInMethod,
    };
  }
}
