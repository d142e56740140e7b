import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import {
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import {
  TLoginResponse,
  TSessionListResponse,
  ZChangePasswordRequest,
  ZLoginRequest,
} from '@bastion/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createZodDto } from 'nestjs-zod';
import type { AuditAction, AuditDetails } from '../audit/audit-action';
import { AuditService } from '../audit/audit.service';
import { AuthException } from './auth.exception';
import { AuthService } from './auth.service';
import { AuthThrottlerGuard } from './auth-throttler.guard';
import { presentedDeviceToken, setDeviceCookie } from './known-device-cookie';
import { AuthContext, CurrentSession, Public, ReqMeta, RequestMeta } from './request-context';
import { clearSessionCookie, setSessionCookie } from './session-cookie';
import { UserRepository } from './user.repository';

class LoginDto extends createZodDto(ZLoginRequest) {}
class ChangePasswordDto extends createZodDto(ZChangePasswordRequest) {}

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly audit: AuditService,
    private readonly users: UserRepository,
  ) {}

  /**
   * `POST /api/auth/login` {email,password,totpCode?} -> {user,csrfToken} and the session
   * cookie. 401 "Invalid email or password" for any wrong pair; 401 `two_factor_required` /
   * `invalid_two_factor_code` for the second step; 429 with `Retry-After` past the per-account
   * (or, from a known device, per-device) or per-address limit. A successful sign-in also sets
   * the device cookie (`bastion_device`, httpOnly, path `/api/auth/login`, 180 days), rotated at
   * each sign-in.
   */
  @Public()
  @UseGuards(AuthThrottlerGuard)
  @Post('login')
  @HttpCode(200)
  async login(
    @Body() body: LoginDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @ReqMeta() meta: RequestMeta,
  ): Promise<TLoginResponse> {
    const result = await this.auth
      .login(
        body.email,
        body.password,
        body.totpCode,
        {
          ip: request.ip,
          userAgent: request.headers['user-agent'],
        },
        presentedDeviceToken(request),
      )
      .catch(async (error: unknown) => {
        if (error instanceof AuthException) {
          // The account tried, if it exists, so its workspaces' admins see the attempts.
          const target = await this.users.findByEmail(body.email);
          await this.audit.record({
            action: 'auth.login_failed',
            actor: null,
            workspaceId: null,
            target: target ? { type: 'user', id: target.id } : undefined,
            meta,
            details: { email: body.email, reason: error.code },
          });
        }
        throw error;
      });
    await this.recordSelf('auth.login', result.user, meta, {
      twoFactor: result.user.totpEnabled,
      signInMethod: result.signInMethod,
    });
    setSessionCookie(request, reply, result.token, result.expiresAt);
    setDeviceCookie(request, reply, result.device.token, result.device.expiresAt);
    return {
      user: {
        id: result.user.id,
        email: result.user.email,
        twoFactorEnabled: result.user.totpEnabled,
      },
      csrfToken: result.csrfToken,
    };
  }

  /** `POST /api/auth/logout`: revokes the session and clears the cookie. 204. */
  @Post('logout')
  @HttpCode(204)
  async logout(
    @CurrentSession() session: AuthContext,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @ReqMeta() meta: RequestMeta,
  ): Promise<void> {
    await this.auth.logout(session.sessionId);
    await this.recordSelf('auth.logout', session.user, meta);
    clearSessionCookie(request, reply);
  }

  /**
   * `POST /api/auth/password` {currentPassword,newPassword}: 204; every other session of the
   * account is revoked. 400 for a wrong current password or a weak new one; rate limited.
   */
  @UseGuards(AuthThrottlerGuard)
  @Post('password')
  @HttpCode(204)
  async changePassword(
    @CurrentSession() session: AuthContext,
    @Body() body: ChangePasswordDto,
    @ReqMeta() meta: RequestMeta,
  ): Promise<void> {
    await this.auth.changePassword(
      session.user.id,
      session.sessionId,
      body.currentPassword,
      body.newPassword,
    );
    await this.recordSelf('auth.password_changed', session.user, meta, {
      otherSessionsRevoked: true,
    });
  }

  /**
   * `GET /api/auth/sessions` -> the caller's live sessions, newest first:
   * `[{id,createdAt,lastSeenAt,ip,userAgent,current}]`. `id` is the random public id (never the
   * token or its hash).
   */
  @Get('sessions')
  listSessions(@CurrentSession() session: AuthContext): Promise<TSessionListResponse> {
    return this.auth.listSessions(session.user.id, session.sessionId);
  }

  /**
   * `DELETE /api/auth/sessions/:sessionId`: revokes one of the caller's own sessions, named by
   * the public `id` of `GET /api/auth/sessions`; the next request with it is 401. Revoking the
   * current session is a logout and clears the cookie. 204; 404 for an unknown id, another
   * user's session or one already ended; 403 without `x-csrf-token`.
   */
  @Delete('sessions/:sessionId')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke one of your own sessions' })
  @ApiParam({ name: 'sessionId', description: 'Public session id from GET /api/auth/sessions' })
  @ApiNoContentResponse({ description: 'Revoked; the cookie is cleared if it was this session' })
  @ApiUnauthorizedResponse({ description: 'Not signed in' })
  @ApiForbiddenResponse({ description: 'x-csrf-token missing or wrong' })
  @ApiNotFoundResponse({ description: 'No live session of yours has this id' })
  async revokeSession(
    @CurrentSession() session: AuthContext,
    @Param('sessionId', new ParseUUIDPipe({ errorHttpStatusCode: 404 })) sessionId: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @ReqMeta() meta: RequestMeta,
  ): Promise<void> {
    const { current } = await this.auth.revokeSession(
      session.user.id,
      sessionId,
      session.sessionId,
    );
    await this.recordSelf('auth.session_revoked', session.user, meta, {
      sessionId: sessionId.toLowerCase(),
      current,
    });
    if (current) clearSessionCookie(request, reply);
  }

  /**
   * `POST /api/auth/sessions/revoke-all`: sign out everywhere, this session included; clears
   * the cookie. 204.
   */
  @Post('sessions/revoke-all')
  @HttpCode(204)
  async revokeAll(
    @CurrentSession() session: AuthContext,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @ReqMeta() meta: RequestMeta,
  ): Promise<void> {
    await this.auth.signOutEverywhere(session.user.id);
    await this.recordSelf('auth.logout', session.user, meta, { allSessions: true });
    clearSessionCookie(request, reply);
  }

  /** An audit entry about the signed-in user's own account (actor and target are that user). */
  private recordSelf(
    action: AuditAction,
    user: { id: string; email: string },
    meta: RequestMeta,
    details?: AuditDetails,
  ): Promise<void> {
    return this.audit.record({
      action,
      actor: { userId: user.id, email: user.email },
      workspaceId: null,
      target: { type: 'user', id: user.id },
      meta,
      details,
    });
  }
}
