import { Injectable, Logger } from '@nestjs/common';
import { CredentialVaultService } from '../credential-vault/credential-vault.service';
import { MetadataTransactions } from '../database/metadata-transactions';
import { AuthErrorCode, AuthException } from './auth.exception';
import { PasswordHasher } from './password-hasher';
import { SessionCache } from './session-cache';
import { SessionService } from './session.service';
import {
  hashRecoveryCode,
  looksLikeRecoveryCode,
  newRecoveryCode,
  RECOVERY_CODE_COUNT,
} from './recovery-codes';
import { generateTotpSecret, looksLikeTotpCode, matchTotpStep, totpUri } from './totp';
import { TwoFactorRepository } from './two-factor.repository';
import { UserEntity } from './user.entity';
import { UserRepository } from './user.repository';

/** Vault purpose of sealed TOTP seeds (AAD binds each seed to it and to the user id). */
export const TOTP_SEAL_PURPOSE = 'totp';

/**
 * TOTP two-factor (RFC 6238) with single-use recovery codes. The seed is sealed by the
 * credential vault and leaves this service only once, in the enrolment response that the
 * user's authenticator app scans. Accepted codes advance a per-user step counter, so a code
 * cannot be replayed within its window.
 */
@Injectable()
export class TwoFactorService {
  private readonly logger = new Logger(TwoFactorService.name);

  constructor(
    private readonly transactions: MetadataTransactions,
    private readonly users: UserRepository,
    private readonly repo: TwoFactorRepository,
    private readonly vault: CredentialVaultService,
    private readonly hasher: PasswordHasher,
    private readonly sessionCache: SessionCache,
    private readonly sessions: SessionService,
  ) {}

  /**
   * Starts (or restarts) enrolment: a new seed, sealed and stored but not active until
   * {@link confirm}.
   * Needs the account password: a session alone (perhaps stolen) cannot add an authenticator.
   * @returns the otpauth URI (for the QR code) and the base32 seed (for manual entry).
   * @throws AuthException WrongCurrentPassword (400), TwoFactorAlreadyEnabled (409) when
   *   two-factor is on already.
   */
  async enrol(userId: string, password: string): Promise<{ otpauthUri: string; secret: string }> {
    const user = await this.requireUser(userId);
    if (!(await this.hasher.verify(user.passwordHash, password))) {
      throw new AuthException(AuthErrorCode.WrongCurrentPassword, 'password: is not correct');
    }
    if (user.totpEnabled) {
      throw new AuthException(
        AuthErrorCode.TwoFactorAlreadyEnabled,
        'Two-factor authentication is already on; turn it off first to enrol a new device',
      );
    }
    const secret = generateTotpSecret();
    await this.users.update(user.id, {
      totpSecretSealed: this.vault.sealInstanceSecret(TOTP_SEAL_PURPOSE, user.id, secret),
    });
    return { otpauthUri: totpUri(user.email, secret), secret };
  }

  /**
   * Confirms enrolment with a code from the app, turns two-factor on and issues the recovery
   * codes (returned once, stored hashed). Every other session of the user ends (one signed in
   * before the account had a second factor must not outlive it); the current session, which
   * just proved the TOTP code, becomes `password+totp`.
   * @throws AuthException WrongConfirmationCode (400), TwoFactorNotEnrolled (409)
   */
  async confirm(
    userId: string,
    currentSessionId: string,
    code: string,
  ): Promise<{ recoveryCodes: string[] }> {
    const user = await this.requireUser(userId);
    if (user.totpEnabled || !user.totpSecretSealed) {
      throw new AuthException(
        AuthErrorCode.TwoFactorNotEnrolled,
        user.totpEnabled
          ? 'Two-factor authentication is already on'
          : 'Start enrolment first: no authenticator is pending confirmation',
      );
    }
    if (!(await this.checkTotp(user, code))) throw this.wrongCode('code');
    const recoveryCodes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
    await this.transactions.transaction(async (manager) => {
      await this.repo.replaceRecoveryCodes(user.id, recoveryCodes.map(hashRecoveryCode), manager);
      await this.users.update(user.id, { totpEnabled: true }, manager);
    });
    await this.sessions.revokeAllForUser(user.id, currentSessionId);
    await this.sessions.upgrade(currentSessionId, 'password+totp');
    // Sessions cache `totpEnabled`: forget them again now that the change is committed.
    this.sessionCache.forgetUser(user.id);
    this.logger.log(`Two-factor authentication enabled for user ${user.id}; other sessions ended`);
    return { recoveryCodes };
  }

  /**
   * Turns two-factor off. Needs proof of presence: a current code (TOTP or recovery) or the
   * account password.
   * @throws AuthException WrongConfirmationCode (400) on a wrong code, WrongCurrentPassword
   *   (400) on a wrong password, TwoFactorNotEnrolled (409) when it is off
   */
  async disable(userId: string, proof: { code?: string; password?: string }): Promise<void> {
    const user = await this.requireUser(userId);
    if (!user.totpEnabled && !user.totpSecretSealed) {
      throw new AuthException(
        AuthErrorCode.TwoFactorNotEnrolled,
        'Two-factor authentication is off',
      );
    }
    if (proof.code !== undefined) {
      const ok = user.totpEnabled
        ? await this.verifySecondFactor(user, proof.code)
        : await this.checkTotp(user, proof.code);
      if (!ok) throw this.wrongCode('code');
    } else if (
      proof.password === undefined ||
      !(await this.hasher.verify(user.passwordHash, proof.password))
    ) {
      throw new AuthException(AuthErrorCode.WrongCurrentPassword, 'password: is not correct');
    }
    await this.transactions.transaction(async (manager) => {
      await this.users.update(user.id, { totpEnabled: false, totpSecretSealed: null }, manager);
      await this.repo.deleteRecoveryCodes(user.id, manager);
      await this.repo.clearTotpStep(user.id, manager);
    });
    this.sessionCache.forgetUser(user.id);
    this.logger.log(`Two-factor authentication disabled for user ${user.id}`);
  }

  /**
   * Replaces the recovery codes (the old ones stop working); needs a current TOTP code. Every
   * other session of the user ends: new codes are what a user makes after fearing the old ones
   * were seen, and a session signed in with one of them must not stay.
   * @throws AuthException TwoFactorNotEnrolled (409), WrongConfirmationCode (400)
   */
  async regenerateRecoveryCodes(
    userId: string,
    currentSessionId: string,
    code: string,
  ): Promise<{ recoveryCodes: string[] }> {
    const user = await this.requireUser(userId);
    if (!user.totpEnabled) {
      throw new AuthException(
        AuthErrorCode.TwoFactorNotEnrolled,
        'Two-factor authentication is off',
      );
    }
    if (!(await this.checkTotp(user, code))) throw this.wrongCode('code');
    const recoveryCodes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
    await this.transactions.transaction((manager) =>
      this.repo.replaceRecoveryCodes(user.id, recoveryCodes.map(hashRecoveryCode), manager),
    );
    await this.sessions.revokeAllForUser(user.id, currentSessionId);
    this.logger.log(`Recovery codes replaced for user ${user.id}; other sessions ended`);
    return { recoveryCodes };
  }

  /** Unused recovery codes left (shown on the account page). */
  remainingRecoveryCodes(userId: string): Promise<number> {
    return this.repo.countUnusedRecoveryCodes(userId);
  }

  /**
   * The second factor at sign-in: a 6-digit TOTP code (not replayed) or an unused recovery
   * code, which is consumed.
   * @returns the sign-in method it proves (`password+totp` or `recovery-code`), or null.
   */
  async checkSecondFactor(
    user: UserEntity,
    code: string,
  ): Promise<'password+totp' | 'recovery-code' | null> {
    if (!user.totpEnabled) return null;
    if (looksLikeTotpCode(code)) return (await this.checkTotp(user, code)) ? 'password+totp' : null;
    if (looksLikeRecoveryCode(code)) {
      const used = await this.repo.consumeRecoveryCode(user.id, hashRecoveryCode(code));
      if (used) this.logger.log(`A recovery code was used by user ${user.id}`);
      return used ? 'recovery-code' : null;
    }
    return null;
  }

  /** {@link checkSecondFactor} as a yes/no (turning two-factor off). */
  async verifySecondFactor(user: UserEntity, code: string): Promise<boolean> {
    return (await this.checkSecondFactor(user, code)) !== null;
  }

  private async checkTotp(user: UserEntity, code: string): Promise<boolean> {
    if (!user.totpSecretSealed) return false;
    const secret = this.vault.openInstanceSecret(TOTP_SEAL_PURPOSE, user.id, user.totpSecretSealed);
    const step = matchTotpStep(code, secret);
    if (step === null) return false;
    return this.repo.advanceTotpStep(user.id, step);
  }

  private async requireUser(userId: string): Promise<UserEntity> {
    const user = await this.users.findById(userId);
    if (!user) throw new AuthException(AuthErrorCode.NotSignedIn, 'Sign in to continue');
    return user;
  }

  private wrongCode(field: string): AuthException {
    return new AuthException(
      AuthErrorCode.WrongConfirmationCode,
      `${field}: the code is not valid; use the current code from your authenticator app`,
    );
  }
}
