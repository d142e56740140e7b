import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { buildDataSourceOptions } from './data-source-options';
import { MetadataTransactions } from './metadata-transactions';

/**
 * The metadata store. Entities register themselves with `TypeOrmModule.forFeature`; every
 * transaction goes through {@link MetadataTransactions} (global, so any module can inject it).
 */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        ...buildDataSourceOptions(config),
        autoLoadEntities: true,
        retryAttempts: 3,
        retryDelay: 1000,
      }),
    }),
  ],
  providers: [MetadataTransactions],
  exports: [MetadataTransactions],
})
export class DatabaseModule {}
