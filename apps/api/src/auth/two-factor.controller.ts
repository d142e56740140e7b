import { Body, Controller, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import {
  TRecoveryCodesResponse,
  TTwoFactorEnrolResponse,
  TTwoFactorStatusResponse,
  ZRegenerateRecoveryCodesRequest,
  ZTwoFactorConfirmRequest,
  ZTwoFactorDisableRequest,
  ZTwoFactorEnrolRequest,
} from '@bastion/contracts';
import { createZodDto } from 'nestjs-zod';
import { AuthThrottlerGuard } from './auth-throttler.guard';
import { AuditService } from '../audit/audit.service';
import {
  AuthContext,
  AuthUser,
  CurrentSession,
  CurrentUser,
  ReqMeta,
  RequestMeta,
} from './request-context';
import { TwoFactorService } from './two-factor.service';

class EnrolDto extends createZodDto(ZTwoFactorEnrolRequest) {}
class ConfirmDto extends createZodDto(ZTwoFactorConfirmRequest) {}
class DisableDto extends createZodDto(ZTwoFactorDisableRequest) {}
class RegenerateDto extends createZodDto(ZRegenerateRecoveryCodesRequest) {}

/** The signed-in user's own TOTP two-factor (RFC 6238). Code-checking routes are rate limited. */
@ApiTags('auth')
@Controller('auth/two-factor')
export class TwoFactorController {
  constructor(
    private readonly twoFactor: TwoFactorService,
    private readonly audit: AuditService,
  ) {}

  /** `GET /api/auth/two-factor` -> {enabled,recoveryCodesLeft}. */
  @Get()
  async status(@CurrentUser() user: AuthUser): Promise<TTwoFactorStatusResponse> {
    return {
      enabled: user.totpEnabled,
      recoveryCodesLeft: user.totpEnabled
        ? await this.twoFactor.remainingRecoveryCodes(user.id)
        : 0,
    };
  }

  /**
   * `POST /api/auth/two-factor/enrol` {password} -> {otpauthUri,secret}; 400 `password: is not
   * correct`, 409 when already on. The password is asked again (OWASP Authentication Cheat
   * Sheet, "Reauthentication After Risk Events") and the route is rate limited like sign-in.
   */
  @UseGuards(AuthThrottlerGuard)
  @Post('enrol')
  @HttpCode(200)
  enrol(@CurrentUser() user: AuthUser, @Body() body: EnrolDto): Promise<TTwoFactorEnrolResponse> {
    return this.twoFactor.enrol(user.id, body.password);
  }

  /**
   * `POST /api/auth/two-factor/confirm` {code} -> {recoveryCodes} (ten, shown once). Ends every
   * other session of the user; this one becomes `password+totp`.
   */
  @UseGuards(AuthThrottlerGuard)
  @Post('confirm')
  @HttpCode(200)
  async confirm(
    @CurrentSession() session: AuthContext,
    @Body() body: ConfirmDto,
    @ReqMeta() meta: RequestMeta,
  ): Promise<TRecoveryCodesResponse> {
    const user = session.user;
    const result = await this.twoFactor.confirm(user.id, session.sessionId, body.code);
    await this.audit.record({
      action: 'auth.2fa_enabled',
      actor: { userId: user.id, email: user.email },
      workspaceId: null,
      target: { type: 'user', id: user.id },
      meta,
    });
    return result;
  }

  /** `POST /api/auth/two-factor/disable` {code}|{password}: 204. */
  @UseGuards(AuthThrottlerGuard)
  @Post('disable')
  @HttpCode(204)
  async disable(
    @CurrentUser() user: AuthUser,
    @Body() body: DisableDto,
    @ReqMeta() meta: RequestMeta,
  ): Promise<void> {
    await this.twoFactor.disable(user.id, body);
    await this.audit.record({
      action: 'auth.2fa_disabled',
      actor: { userId: user.id, email: user.email },
      workspaceId: null,
      target: { type: 'user', id: user.id },
      meta,
      details: { proof: body.code !== undefined ? 'code' : 'password' },
    });
  }

  /**
   * `POST /api/auth/two-factor/recovery-codes` {code} -> ten new codes; old ones stop working
   * and every other session of the user ends.
   */
  @UseGuards(AuthThrottlerGuard)
  @Post('recovery-codes')
  @HttpCode(200)
  regenerate(
    @CurrentSession() session: AuthContext,
    @Body() body: RegenerateDto,
  ): Promise<TRecoveryCodesResponse> {
    return this.twoFactor.regenerateRecoveryCodes(session.user.id, session.sessionId, body.code);
  }
}
