import { Body, Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { TLoginResponse, ZLoginRequest } from '@bastion/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createZodDto } from 'nestjs-zod';
import { AuthService } from './auth.service';
import { AuthContext, CurrentSession, Public } from './request-context';
import { clearSessionCookie, setSessionCookie } from './session-cookie';

class LoginDto extends createZodDto(ZLoginRequest) {}

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  /**
   * `POST /api/auth/login` {email,password,totpCode?} -> {user,csrfToken} and the session
   * cookie. 401 "Invalid email or password" for any wrong pair.
   */
  @Public()
  @Post('login')
  @HttpCode(200)
  async login(
    @Body() body: LoginDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TLoginResponse> {
    const result = await this.auth.login(body.email, body.password, {
      ip: request.ip,
      userAgent: request.headers['user-agent'],
    });
    setSessionCookie(request, reply, result.token, result.expiresAt);
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
  ): Promise<void> {
    await this.auth.logout(session.sessionId);
    clearSessionCookie(request, reply);
  }
}
