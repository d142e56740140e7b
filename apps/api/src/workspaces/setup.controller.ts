import { Body, Controller, Get, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { TSetupResponse, TSetupStatusResponse, ZSetupRequest } from '@bastion/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createZodDto } from 'nestjs-zod';
import { AuthService } from '../auth/auth.service';
import { AuthThrottlerGuard } from '../auth/auth-throttler.guard';
import { Public, ReqMeta, RequestMeta } from '../auth/request-context';
import { setSessionCookie } from '../auth/session-cookie';
import { WorkspaceService } from './workspace.service';

class SetupDto extends createZodDto(ZSetupRequest) {}

@ApiTags('auth')
@Controller('setup')
export class SetupController {
  constructor(
    private readonly workspaces: WorkspaceService,
    private readonly auth: AuthService,
  ) {}

  /** `GET /api/setup` -> {setupRequired}: true until the first user exists. */
  @Public()
  @Get()
  async status(): Promise<TSetupStatusResponse> {
    return { setupRequired: await this.workspaces.isSetupRequired() };
  }

  /**
   * `POST /api/setup` {email,password,workspaceName} -> {user,csrfToken,workspaceId} and the
   * session cookie. 409 once any user exists; 400 for a weak password; 429 past the rate limit.
   */
  @Public()
  @UseGuards(AuthThrottlerGuard)
  @Post()
  async setup(
    @Body() body: SetupDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @ReqMeta() meta: RequestMeta,
  ): Promise<TSetupResponse> {
    const { user, workspaceId } = await this.workspaces.setup(
      body.email,
      body.password,
      body.workspaceName,
      meta,
    );
    const session = await this.auth.startSession(user.id, {
      ip: request.ip,
      userAgent: request.headers['user-agent'],
    });
    setSessionCookie(request, reply, session.token, session.expiresAt);
    return {
      user: { id: user.id, email: user.email, twoFactorEnabled: false },
      csrfToken: session.csrfToken,
      workspaceId,
    };
  }
}
