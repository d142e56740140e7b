import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { AuthErrorCode, AuthException } from './auth.exception';
import { PasswordHasher } from './password-hasher';
import { assertPasswordAcceptable } from './password-policy';
import { SessionService } from './session.service';
import { UserEntity } from './user.entity';
import { UserRepository } from './user.repository';

export interface LoginResult {
  user: UserEntity;
  token: string;
  csrfToken: string;
  expiresAt: Date;
}

/** Accounts and sign-in. Password hashes and tokens never leave this service. */
@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    private readonly users: UserRepository,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionService,
  ) {}

  /**
   * Creates a user after checking the password policy.
   * @throws AuthException WeakPassword (400), EmailTaken (409)
   */
  async createUser(email: string, password: string, manager?: EntityManager): Promise<UserEntity> {
    const normalized = email.trim().toLowerCase();
    assertPasswordAcceptable(password, normalized);
    if (await this.users.findByEmail(normalized)) {
      throw new AuthException(
        AuthErrorCode.EmailTaken,
        'email: an account with this email already exists',
      );
    }
    const now = new Date();
    const user = Object.assign(new UserEntity(), {
      id: randomUUID(),
      email: normalized,
      passwordHash: await this.hasher.hash(password),
      totpSecretSealed: null,
      totpEnabled: false,
      passwordChangedAt: now,
      createdAt: now,
    });
    await this.users.insert(user, manager);
    return user;
  }

  /**
   * Checks email and password and starts a session. Unknown email and wrong password give the
   * same error after the same argon2 work, so neither message nor timing reveals accounts.
   * @throws AuthException InvalidCredentials (401)
   */
  async login(
    email: string,
    password: string,
    meta: { ip?: string; userAgent?: string },
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
    const session = await this.sessions.create(user.id, meta);
    return { user, ...session };
  }

  /** Starts a session for a user who was just created (first-run setup). */
  async startSession(userId: string, meta: { ip?: string; userAgent?: string }) {
    return this.sessions.create(userId, meta);
  }

  logout(sessionId: string): Promise<void> {
    return this.sessions.revoke(sessionId);
  }

  private invalidCredentials(): AuthException {
    return new AuthException(AuthErrorCode.InvalidCredentials, 'Invalid email or password');
  }
}
