import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { PasswordHasher } from './password-hasher';
import { SessionAuthGuard } from './session-auth.guard';
import { SessionEntity } from './session.entity';
import { SessionRepository } from './session.repository';
import { SessionService } from './session.service';
import { UserEntity } from './user.entity';
import { UserRepository } from './user.repository';

/** Users, passwords, sessions and CSRF. The session guard protects every route by default. */
@Module({
  imports: [TypeOrmModule.forFeature([UserEntity, SessionEntity])],
  controllers: [AuthController],
  providers: [
    AuthService,
    PasswordHasher,
    SessionService,
    SessionRepository,
    UserRepository,
    { provide: APP_GUARD, useClass: SessionAuthGuard },
  ],
  exports: [AuthService, SessionService, UserRepository, PasswordHasher],
})
export class AuthModule {}
