import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { VAULT_INSTANCE_SECRET_STORES } from '../credential-vault/credential-vault.service';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { authThrottlerOptions, AuthThrottlerGuard } from './auth-throttler.guard';
import { DatabaseThrottlerStorage } from './database-throttler.storage';
import { KnownDeviceEntity } from './known-device.entity';
import { KnownDeviceRepository } from './known-device.repository';
import { PasswordHasher } from './password-hasher';
import { RecoveryCodeEntity } from './recovery-code.entity';
import { SessionAuthGuard } from './session-auth.guard';
import { SessionEntity } from './session.entity';
import { SessionCache } from './session-cache';
import { SessionRepository } from './session.repository';
import { SessionService } from './session.service';
import { TotpSecretStore } from './totp-secret.store';
import { TwoFactorController } from './two-factor.controller';
import { TwoFactorRepository } from './two-factor.repository';
import { TwoFactorService } from './two-factor.service';
import { UserEntity } from './user.entity';
import { UserRepository } from './user.repository';

/**
 * Users, passwords, sessions, CSRF, TOTP two-factor and sign-in rate limits. The session guard
 * protects every route by default; `AuthThrottlerGuard` limits the sign-in routes with counters
 * in the metadata database (shared by every replica).
 */
@Module({
  imports: [
    TypeOrmModule.forFeature([UserEntity, SessionEntity, RecoveryCodeEntity, KnownDeviceEntity]),
    ThrottlerModule.forRootAsync({
      inject: [APP_CONFIG, getDataSourceToken()],
      useFactory: (config: AppConfig, dataSource: DataSource) =>
        authThrottlerOptions(
          config,
          new DatabaseThrottlerStorage(dataSource),
          new KnownDeviceRepository(dataSource),
        ),
    }),
  ],
  controllers: [AuthController, TwoFactorController],
  providers: [
    AuthService,
    PasswordHasher,
    KnownDeviceRepository,
    SessionService,
    SessionCache,
    SessionRepository,
    UserRepository,
    TwoFactorService,
    TwoFactorRepository,
    TotpSecretStore,
    AuthThrottlerGuard,
    { provide: VAULT_INSTANCE_SECRET_STORES, useExisting: TotpSecretStore },
    { provide: APP_GUARD, useClass: SessionAuthGuard },
  ],
  exports: [
    AuthService,
    SessionService,
    UserRepository,
    PasswordHasher,
    TwoFactorService,
    AuthThrottlerGuard,
  ],
})
export class AuthModule {}
