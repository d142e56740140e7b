import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { buildDataSourceOptions } from './data-source-options';
import { MetadataTransactions } from './metadata-transactions';
import { SqliteCheckpointer } from './sqlite-checkpointer';
import { gateSqliteQueryRunners } from './sqlite-connection-gate';

/**
 * The metadata store. Entities register themselves with `TypeOrmModule.forFeature`; every
 * transaction goes through {@link MetadataTransactions} (global, so any module can inject it). On
 * SQLite, statements and transactions take turns on the one connection
 * ({@link gateSqliteQueryRunners}), and a worker thread checkpoints the WAL
 * ({@link SqliteCheckpointer}).
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
      // On SQLite every statement and transaction takes turns on the one connection.
      dataSourceFactory: async (options) => {
        const dataSource = new DataSource(options!);
        if (dataSource.options.type === 'postgres') return dataSource.initialize();
        gateSqliteQueryRunners(dataSource);
        await dataSource.initialize();
        // WAL checkpoints (and their fsyncs) off the event loop, stopped with the data source.
        const checkpointer = new SqliteCheckpointer(
          String(dataSource.options.database),
          require.resolve('better-sqlite3'),
        );
        const destroy = dataSource.destroy.bind(dataSource);
        dataSource.destroy = async () => {
          await checkpointer.stop();
          return destroy();
        };
        return dataSource;
      },
    }),
  ],
  providers: [MetadataTransactions],
  exports: [MetadataTransactions],
})
export class DatabaseModule {}
