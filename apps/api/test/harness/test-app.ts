import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { inject } from 'vitest';
import { createApp } from '../../src/app.factory';
import { AppConfig, loadAppConfig } from '../../src/config/app-config';
import { createPostgresDatabase } from './postgres-server';

export type MetadataStore = 'sqlite' | 'postgres';

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  /** Every log line the app wrote, for canary scans. */
  logs: string[];
  dataDir: string;
  /** URL of the metadata PostgreSQL database (postgres store only). */
  databaseUrl?: string;
  close(): Promise<void>;
}

/**
 * Boots the whole API on a fresh metadata store (a new SQLite file, or a new database on the
 * run's PostgreSQL) with logs captured in memory. Not listening: use `app.inject`.
 */
export async function createTestApp(
  options: { store?: MetadataStore; env?: Record<string, string> } = {},
): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bastion-data-'));
  const databaseUrl =
    options.store === 'postgres'
      ? await createPostgresDatabase(inject('postgresAdminUrl'))
      : undefined;
  const config = loadAppConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    // Debug: request lines and boot details are captured too, so secret scans cover them.
    LOG_LEVEL: 'debug',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...options.env,
  });
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  const app = await createApp(config, { logStream });
  return {
    app,
    config,
    logs,
    dataDir,
    databaseUrl,
    close: async () => {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
