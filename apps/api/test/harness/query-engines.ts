import knex, { Knex } from 'knex';
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { createMariaDbDatabase } from './mariadb-server';
import { createPostgresDatabase } from './postgres-server';

export type SqlEngine = 'postgres' | 'mysql' | 'sqlite';

/** A fresh database on one engine with a knex pool the executors borrow connections from. */
export interface EngineDb {
  engine: SqlEngine;
  /** Admin pool for setup and for checks at the database (what is running). */
  pool: Knex;
  /** Connection URL (postgres, mysql) or file (sqlite). */
  url: string;
  close(): Promise<void>;
}

/**
 * Creates an empty database on the run's PostgreSQL or MariaDB, or a new SQLite file, and a
 * bounded knex pool on it (size `poolMax`). A SQLite datasource reads its workspace's folder:
 * pass `sqliteDir` = `<SQLITE_DATASOURCE_DIR>/<workspace id>` (created when missing).
 */
export async function createEngineDb(
  engine: SqlEngine,
  poolMax = 10,
  sqliteDir?: string,
): Promise<EngineDb> {
  if (engine === 'postgres') {
    const url = await createPostgresDatabase(inject('postgresAdminUrl'), 'q');
    const pool = knex({ client: 'pg', connection: url, pool: { min: 0, max: poolMax } });
    return { engine, pool, url, close: () => pool.destroy() };
  }
  if (engine === 'mysql') {
    const url = await createMariaDbDatabase(inject('mysqlAdminUrl'), 'q');
    const pool = knex({ client: 'mysql2', connection: url, pool: { min: 0, max: poolMax } });
    return { engine, pool, url, close: () => pool.destroy() };
  }
  if (sqliteDir) mkdirSync(sqliteDir, { recursive: true, mode: 0o700 });
  // The real path: the SQLite executor refuses a file that is not its own real path.
  const dir = realpathSync(sqliteDir ?? mkdtempSync(join(tmpdir(), 'bastion-sqlite-ds-')));
  const file = join(dir, `data-${Math.random().toString(36).slice(2, 10)}.sqlite`);
  const pool = knex({
    client: 'better-sqlite3',
    connection: { filename: file },
    useNullAsDefault: true,
    pool: { min: 0, max: 1 },
  });
  return {
    engine,
    pool,
    url: file,
    close: async () => {
      await pool.destroy();
      if (sqliteDir) rmSync(file, { force: true });
      else rmSync(dir, { recursive: true, force: true });
    },
  };
}
