import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DataSourceOptions } from 'typeorm';
import type { AppConfig } from '../config/app-config';
import { MIGRATIONS } from './migrations';
import { SQLITE_FALLBACK_AUTOCHECKPOINT_PAGES } from './sqlite-checkpointer';

/** File name of the embedded metadata database inside the data folder. */
export const SQLITE_FILE_NAME = 'bastion.sqlite';

/**
 * TypeORM options for the metadata store: PostgreSQL when `DATABASE_URL` is set, else SQLite
 * (better-sqlite3) in the data folder. Schema changes only through migrations, run at boot;
 * `synchronize` is never on.
 */
export function buildDataSourceOptions(config: AppConfig): DataSourceOptions {
  const common = {
    migrations: MIGRATIONS,
    migrationsRun: true,
    migrationsTransactionMode: 'each' as const,
    synchronize: false,
    logging: false,
  };
  if (config.databaseUrl) {
    return {
      ...common,
      type: 'postgres',
      url: config.databaseUrl,
      extra: { max: 10, connectionTimeoutMillis: 5_000 },
    };
  }
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  return {
    ...common,
    type: 'better-sqlite3',
    database: join(config.dataDir, SQLITE_FILE_NAME),
    enableWAL: true,
    prepareDatabase: (db: { pragma: (s: string) => unknown }) => {
      db.pragma('foreign_keys = ON');
      db.pragma('busy_timeout = 5000');
      // WAL + NORMAL: a commit survives a process crash (kill -9, OOM) without an fsync per
      // commit (3 ms -> 0.04 ms here), which the audit group commit of every run depends on;
      // FULL also survives power loss (SQLITE_SYNCHRONOUS, README "Durability").
      db.pragma(`synchronous = ${config.sqliteSynchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      // Checkpoints run on a worker thread (SqliteCheckpointer, DatabaseModule); this
      // connection checkpoints itself only if that thread falls far behind.
      db.pragma(`wal_autocheckpoint = ${SQLITE_FALLBACK_AUTOCHECKPOINT_PAGES}`);
    },
  };
}
