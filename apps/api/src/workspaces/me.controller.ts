import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { TMeResponse } from '@bastion/contracts';
import { AuthContext, CurrentSession } from '../auth/request-context';
import { WorkspaceService } from './workspace.service';

@ApiTags('auth')
@Controller('me')
export class MeController {
  constructor(private readonly workspaces: WorkspaceService) {}

  /** `GET /api/me` -> {user,memberships:[{workspaceId,workspaceName,role}],csrfToken}. 401 when signed out. */
  @Get()
  async me(@CurrentSession() session: AuthContext): Promise<TMeResponse> {
    return {
      user: {
        id: session.user.id,
        email: session.user.email,
        twoFactorEnabled: session.user.totpEnabled,
      },
      memberships: await this.workspaces.listForUser(session.user.id),
      csrfToken: session.csrfToken,
      signInMethod: session.signInMethod,
    };
  }
}
