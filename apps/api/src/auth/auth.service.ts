import { Injectable, Logger } from '@nestjs/common';
import { TSignInMethod, TWO_FACTOR_REQUIRED_MESSAGE } from '@bastion/contracts';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { AuthErrorCode, AuthException } from './auth.exception';
import { deviceTokenHash, KNOWN_DEVICE_TTL_MS, newDeviceToken } from './known-device-cookie';
import { KnownDeviceRepository } from './known-device.repository';
import { PasswordHasher } from './password-hasher';
import { assertPasswordAcceptable } from './password-policy';
import { SessionService } from './session.service';
import { sessionIdFor } from './session-token';
import { TwoFactorService } from './two-factor.service';
import { UserEntity } from './user.entity';
import { UserRepository } from './user.repository';

export interface LoginResult {
  user: UserEntity;
  /** How this sign-in proved itself (recorded on the session). */
  signInMethod: TSignInMethod;
  token: string;
  csrfToken: string;
  expiresAt: Date;
  /** The browser's new device-cookie token (see `known-device-cookie.ts`) and its expiry. */
  device: { token: string; expiresAt: Date };
}

/** Accounts and sign-in. Password hashes and tokens never leave this service. */
@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    private readonly users: UserRepository,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionService,
    private readonly twoFactor: TwoFactorService,
    private readonly devices: KnownDeviceRepository,
  ) {}

  /**
   * Creates a user after checking the password policy. `isInstanceAdmin` only for first-run
   * setup and the operator's `admin create`.
   * @throws AuthException WeakPassword (400), EmailTaken (409)
   */
  async createUser(
    email: string,
    password: string,
    manager?: EntityManager,
    options: { isInstanceAdmin?: boolean } = {},
  ): Promise<UserEntity> {
    const normalized = email.trim().toLowerCase();
    assertPasswordAcceptable(password, normalized);
    if (await this.users.findByEmail(normalized, manager)) {
      throw new AuthException(
        AuthErrorCode.EmailTaken,
        'email: an account with this email already exists',
      );
    }
    const user = await this.newUser(normalized, password, options);
    await this.users.insert(user, manager);
    return user;
  }

  /**
   * A user row ready to insert (policy checked, password hashed with argon2id), not yet stored:
   * for callers that hash outside their transaction (argon2 takes ~50 ms of CPU, and on SQLite
   * a transaction holds the one connection).
   * @throws AuthException WeakPassword (400)
   */
  async newUser(
    email: string,
    password: string,
    options: { isInstanceAdmin?: boolean } = {},
  ): Promise<UserEntity> {
    const normalized = email.trim().toLowerCase();
    assertPasswordAcceptable(password, normalized);
    const now = new Date();
    return Object.assign(new UserEntity(), {
      id: randomUUID(),
      email: normalized,
      passwordHash: await this.hasher.hash(password),
      totpSecretSealed: null,
      totpEnabled: false,
      isInstanceAdmin: options.isInstanceAdmin ?? false,
      passwordChangedAt: now,
      createdAt: now,
    });
  }

  /**
   * Checks email and password and starts a session. Unknown email and wrong password give the
   * same error after the same argon2 work, so neither message nor timing reveals accounts.
   * With two-factor on, the second factor is asked for only after a correct password:
   * `two_factor_required` (401) without `totpCode`, `invalid_two_factor_code` (401) for a wrong,
   * replayed or used code. `totpCode` is a 6-digit TOTP code or a recovery code. On success
   * the browser becomes a known device of the account: a new device token (rotating
   * `presentedDeviceToken`, which keeps the other accounts it was known for).
   * @throws AuthException InvalidCredentials, TwoFactorRequired, InvalidTwoFactorCode (401)
   */
  async login(
    email: string,
    password: string,
    totpCode: string | undefined,
    meta: { ip?: string; userAgent?: string },
    presentedDeviceToken?: string,
  ): Promise<LoginResult> {
    const user = await this.users.findByEmail(email);
    if (!user) {
      await this.hasher.verifyDummy(password);
      throw this.invalidCredentials();
    }
    if (!(await this.hasher.verify(user.passwordHash, password))) {
      throw this.invalidCredentials();
    }
    if (this.hasher.needsRehash(user.passwordHash)) {
      // Parameters were raised since this hash was made: upgrade it while we have the password.
      await this.users.update(user.id, { passwordHash: await this.hasher.hash(password) });
      this.logger.log(`Upgraded the password hash parameters of user ${user.id}`);
    }
    let signInMethod: TSignInMethod = 'password';
    if (user.totpEnabled) {
      if (!totpCode) {
        throw new AuthException(AuthErrorCode.TwoFactorRequired, TWO_FACTOR_REQUIRED_MESSAGE);
      }
      const factor = await this.twoFactor.checkSecondFactor(user, totpCode);
      if (!factor) {
        throw new AuthException(
          AuthErrorCode.InvalidTwoFactorCode,
          'The two-factor code is not valid; wait for the next code and try again',
        );
      }
      signInMethod = factor;
    }
    const session = await this.sessions.create(user.id, meta, signInMethod);
    await this.refuseIfChangedMeanwhile(user, sessionIdFor(session.token));
    const device = await this.rememberDevice(user.id, presentedDeviceToken);
    return { user, signInMethod, ...session, device };
  }

  /**
   * A password change or two-factor enrolment that committed while this sign-in was checking
   * the password (argon2 takes tens of ms) ended the user's sessions before this one existed.
   * Both write the user first and revoke sessions second, and the session is inserted before
   * this re-read, so one of the two always sees the other: the change revokes this session, or
   * this check sees the change and revokes it here.
   * @throws AuthException InvalidCredentials (the password changed), TwoFactorRequired (401)
   */
  private async refuseIfChangedMeanwhile(read: UserEntity, sessionId: string): Promise<void> {
    const now = await this.users.findById(read.id);
    const passwordChanged =
      !now || now.passwordChangedAt.getTime() !== read.passwordChangedAt.getTime();
    if (!passwordChanged && now.totpEnabled === read.totpEnabled) return;
    await this.sessions.revoke(sessionId);
    if (passwordChanged) throw this.invalidCredentials();
    throw new AuthException(AuthErrorCode.TwoFactorRequired, TWO_FACTOR_REQUIRED_MESSAGE);
  }

  /** Makes this browser a known device of the user (a fresh token; the presented one retires). */
  private async rememberDevice(
    userId: string,
    presentedToken: string | undefined,
  ): Promise<{ token: string; expiresAt: Date }> {
    const now = new Date();
    const expiresAt = new Date(now.getTime() + KNOWN_DEVICE_TTL_MS);
    const token = newDeviceToken();
    await this.devices.remember(
      userId,
      deviceTokenHash(token),
      presentedToken === undefined ? undefined : deviceTokenHash(presentedToken),
      now,
      expiresAt,
    );
    return { token, expiresAt };
  }

  /**
   * Starts a session for a user who just set their password (first-run setup, an accepted
   * invitation): it proved the password only.
   */
  async startSession(userId: string, meta: { ip?: string; userAgent?: string }) {
    return this.sessions.create(userId, meta, 'password');
  }

  logout(sessionId: string): Promise<void> {
    return this.sessions.revoke(sessionId);
  }

  /**
   * Changes the password after checking the current one and the policy, then signs out every
   * other session of the account (a thief's session ends with the old password).
   * @throws AuthException WrongCurrentPassword (400), WeakPassword (400)
   */
  async changePassword(
    userId: string,
    currentSessionId: string,
    currentPassword: string,
    newPassword: string,
  ): Promise<void> {
    const user = await this.users.findById(userId);
    if (!user || !(await this.hasher.verify(user.passwordHash, currentPassword))) {
      throw new AuthException(
        AuthErrorCode.WrongCurrentPassword,
        'currentPassword: is not correct',
      );
    }
    assertPasswordAcceptable(newPassword, user.email);
    await this.users.update(user.id, {
      passwordHash: await this.hasher.hash(newPassword),
      passwordChangedAt: new Date(),
    });
    await this.sessions.revokeAllForUser(user.id, currentSessionId);
    this.logger.log(`Password changed for user ${user.id}; other sessions revoked`);
  }

  /** Sign out everywhere: revokes every session of the user, the current one included. */
  async signOutEverywhere(userId: string): Promise<void> {
    await this.sessions.revokeAllForUser(userId);
    this.logger.log(`All sessions of user ${userId} revoked`);
  }

  /**
   * Revokes one of the user's own live sessions, named by its public id (from
   * {@link listSessions}); effective at once on this replica.
   * @returns `current: true` when it was the caller's own session (the caller is now signed out).
   * @throws AuthException SessionNotFound (404): unknown id, another user's session, or one
   *   already revoked or expired
   */
  async revokeSession(
    userId: string,
    publicId: string,
    currentSessionId: string,
  ): Promise<{ current: boolean }> {
    const revoked = await this.sessions.revokeByPublicId(userId, publicId.toLowerCase());
    if (!revoked) throw new AuthException(AuthErrorCode.SessionNotFound, 'Session not found');
    return { current: revoked === currentSessionId };
  }

  /** The user's live sessions, newest first; `current` marks the caller's. */
  listSessions(userId: string, currentSessionId: string) {
    return this.sessions.listLive(userId, currentSessionId);
  }

  private invalidCredentials(): AuthException {
    return new AuthException(AuthErrorCode.InvalidCredentials, 'Invalid email or password');
  }
}
