import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { ZodValidationPipe } from 'nestjs-zod';
import type { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { HttpExceptionFilter } from './common/errors/http-exception.filter';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { CredentialVaultModule } from './credential-vault/credential-vault.module';
import { AuthModule } from './auth/auth.module';
import { WorkspacesModule } from './workspaces/workspaces.module';
import { AuditModule } from './audit/audit.module';
import { DatasourcesModule } from './datasources/datasources.module';
import { QueryProxyModule } from './query-proxy/query-proxy.module';
import { AppsModule } from './apps/apps.module';

/** Root module. Built from the boot-time config so nothing else reads the environment. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule,
        HealthModule,
        MetricsModule,
        CredentialVaultModule,
        AuthModule,
        WorkspacesModule,
        AuditModule,
        DatasourcesModule,
        QueryProxyModule,
        AppsModule,
      ],
      providers: [
        { provide: APP_PIPE, useClass: ZodValidationPipe },
        { provide: APP_FILTER, useClass: HttpExceptionFilter },
      ],
    };
  }
}
