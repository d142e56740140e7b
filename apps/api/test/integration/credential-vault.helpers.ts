import { DynamicModule, INestApplicationContext, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { InjectDataSource } from '@nestjs/typeorm';
import Database from 'better-sqlite3';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { inject } from 'vitest';
import { AppModule } from '../../src/app.module';
import type { CliContext } from '../../src/cli/cli-command';
import { createAppLogger, PinoNestLogger } from '../../src/common/logging/app-logger';
import { AppConfig, loadAppConfig } from '../../src/config/app-config';
import {
  CredentialVaultService,
  VAULT_INSTANCE_SECRET_STORES,
  VAULT_SECRET_SOURCES,
  VaultInstanceSecretRef,
  VaultInstanceSecretStore,
  VaultSecretRef,
  VaultSecretSource,
} from '../../src/credential-vault/credential-vault.service';
import { SQLITE_FILE_NAME } from '../../src/database/data-source-options';
import { createPostgresDatabase } from '../harness/postgres-server';
import type { MetadataStore } from '../harness/test-app';

/** A fresh key entry `id:base64`. */
export function newKeyEntry(id: string): string {
  return `${id}:${randomBytes(32).toString('base64')}`;
}

/** A fresh empty metadata store: a data folder, plus a database on the run's PostgreSQL. */
export async function newStore(store: MetadataStore): Promise<StoreRef> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bastion-vault-'));
  const databaseUrl =
    store === 'postgres' ? await createPostgresDatabase(inject('postgresAdminUrl')) : undefined;
  return { store, dataDir, databaseUrl };
}

export interface StoreRef {
  store: MetadataStore;
  dataDir: string;
  databaseUrl?: string;
}

/** Runs SQL with `?` placeholders on either store. */
export function sql<T = Record<string, unknown>>(
  db: DataSource,
  text: string,
  params: unknown[] = [],
): Promise<T[]> {
  let i = 0;
  const query = db.options.type === 'postgres' ? text.replace(/\?/g, () => `$${++i}`) : text;
  return db.query(query, params);
}

/** Stands in for the datasources module: secrets in a table, listed for `vault check`. */
@Injectable()
class TableSecretSource implements VaultSecretSource {
  name = 'test-secrets';
  constructor(@InjectDataSource() private readonly db: DataSource) {}
  async *listSecrets(): AsyncIterable<VaultSecretRef> {
    const rows = await sql<Record<string, string>>(
      this.db,
      'SELECT workspace_id, datasource_id, field, stored FROM vault_test_secrets ORDER BY datasource_id, field',
    );
    for (const r of rows) {
      yield {
        workspaceId: r.workspace_id,
        datasourceId: r.datasource_id,
        field: r.field,
        stored: r.stored,
      };
    }
  }
}

/** Stands in for the auth module: sealed instance secrets in a table. */
@Injectable()
class TableInstanceSecretStore implements VaultInstanceSecretStore {
  name = 'test-instance-secrets';
  constructor(@InjectDataSource() private readonly db: DataSource) {}
  async *listSealed(): AsyncIterable<VaultInstanceSecretRef> {
    const rows = await sql<Record<string, string>>(
      this.db,
      'SELECT purpose, id, sealed FROM vault_test_instance_secrets ORDER BY id',
    );
    for (const r of rows) yield { purpose: r.purpose, id: r.id, sealed: r.sealed };
  }
  async replaceSealed(purpose: string, id: string, oldSealed: string, newSealed: string) {
    const before = await sql(
      this.db,
      'SELECT id FROM vault_test_instance_secrets WHERE purpose = ? AND id = ? AND sealed = ?',
      [purpose, id, oldSealed],
    );
    if (before.length === 0) return false;
    await sql(
      this.db,
      'UPDATE vault_test_instance_secrets SET sealed = ? WHERE purpose = ? AND id = ? AND sealed = ?',
      [newSealed, purpose, id, oldSealed],
    );
    return true;
  }
}

@Module({})
class VaultTestRootModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: VaultTestRootModule,
      imports: [AppModule.forRoot(config)],
      providers: [
        TableSecretSource,
        TableInstanceSecretStore,
        { provide: VAULT_SECRET_SOURCES, useExisting: TableSecretSource },
        { provide: VAULT_INSTANCE_SECRET_STORES, useExisting: TableInstanceSecretStore },
      ],
    };
  }
}

export interface VaultContext {
  app: INestApplicationContext;
  config: AppConfig;
  logs: string[];
  vault: CredentialVaultService;
  db: DataSource;
  close(): Promise<void>;
}

/** The config a vault test boots with on `ref`'s store. */
export function vaultConfig(ref: StoreRef, env: Record<string, string> = {}): AppConfig {
  return loadAppConfig({
    NODE_ENV: 'test',
    DATA_DIR: ref.dataDir,
    LOG_LEVEL: 'info',
    ...(ref.databaseUrl ? { DATABASE_URL: ref.databaseUrl } : {}),
    ...env,
  });
}

/**
 * Boots the API's modules (no HTTP) plus a test secret source and instance secret store backed
 * by tables, on `ref`'s store. Logs are captured for canary scans.
 */
export async function bootVault(
  ref: StoreRef,
  env: Record<string, string> = {},
  logs: string[] = [],
): Promise<VaultContext> {
  const config = vaultConfig(ref, env);
  const stream = new Writable({
    write(chunk: Buffer, _e, cb) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  const app = await NestFactory.createApplicationContext(VaultTestRootModule.forRoot(config), {
    logger: new PinoNestLogger(createAppLogger('info', stream)),
    abortOnError: false,
  });
  const db = app.get(DataSource);
  for (const ddl of [
    'CREATE TABLE IF NOT EXISTS vault_test_secrets (workspace_id varchar(36) NOT NULL, datasource_id varchar(36) NOT NULL, field varchar(100) NOT NULL, stored text NOT NULL, PRIMARY KEY (datasource_id, field))',
    'CREATE TABLE IF NOT EXISTS vault_test_instance_secrets (purpose varchar(50) NOT NULL, id varchar(36) NOT NULL, sealed text NOT NULL, PRIMARY KEY (purpose, id))',
  ]) {
    await db.query(ddl);
  }
  return {
    app,
    config,
    logs,
    vault: app.get(CredentialVaultService),
    db,
    close: () => app.close(),
  };
}

/** A CliContext whose `withApp` boots {@link bootVault}; printed lines are collected. */
export function cliContext(ref: StoreRef, env: Record<string, string> = {}) {
  const lines: string[] = [];
  const ctx: CliContext = {
    config: vaultConfig(ref, env),
    print: (line) => lines.push(line),
    withApp: async (fn) => {
      const v = await bootVault(ref, env);
      try {
        return await fn(v.app);
      } finally {
        await v.close();
      }
    },
  };
  return { ctx, lines };
}

export interface SeededDatasource {
  workspaceId: string;
  datasourceId: string;
  values: Record<string, string>;
}

export const FIELDS = ['password', 'apiKey', 'urlPassword'] as const;

/** Creates `count` datasources (3 workspaces) with a data key and secrets stored in the test table. */
export async function seedDatasources(
  v: VaultContext,
  count: number,
  valueOf: (i: number, field: string) => string = (i, f) => `secret-${i}-${f}-${randomUUID()}`,
): Promise<SeededDatasource[]> {
  const workspaces = [randomUUID(), randomUUID(), randomUUID()];
  const out: SeededDatasource[] = [];
  for (let i = 0; i < count; i++) {
    const seeded: SeededDatasource = {
      workspaceId: workspaces[i % 3],
      datasourceId: randomUUID(),
      values: {},
    };
    await v.vault.createDataKey(seeded.workspaceId, seeded.datasourceId);
    for (const field of FIELDS) {
      seeded.values[field] = valueOf(i, field);
      await storeSecret(v, seeded, field, seeded.values[field]);
    }
    out.push(seeded);
  }
  return out;
}

/** Encrypts and upserts one secret into the test table. */
export async function storeSecret(
  v: VaultContext,
  d: Pick<SeededDatasource, 'workspaceId' | 'datasourceId'>,
  field: string,
  value: string,
): Promise<string> {
  const stored = await v.vault.encryptSecret(d.workspaceId, d.datasourceId, field, value);
  await sql(v.db, 'DELETE FROM vault_test_secrets WHERE datasource_id = ? AND field = ?', [
    d.datasourceId,
    field,
  ]);
  await sql(
    v.db,
    'INSERT INTO vault_test_secrets (workspace_id, datasource_id, field, stored) VALUES (?, ?, ?, ?)',
    [d.workspaceId, d.datasourceId, field, stored],
  );
  return stored;
}

/** The stored form of one secret from the test table. */
export async function storedSecret(
  v: VaultContext,
  datasourceId: string,
  field: string,
): Promise<string> {
  const rows = await sql<{ stored: string }>(
    v.db,
    'SELECT stored FROM vault_test_secrets WHERE datasource_id = ? AND field = ?',
    [datasourceId, field],
  );
  return rows[0].stored;
}

/** Decrypts every seeded secret from the table; returns the datasource ids that failed. */
export async function unreadable(v: VaultContext, seeded: SeededDatasource[]): Promise<string[]> {
  const failed: string[] = [];
  for (const d of seeded) {
    for (const [field, value] of Object.entries(d.values)) {
      const stored = await storedSecret(v, d.datasourceId, field);
      const plain = await v.vault
        .decryptSecret(d.workspaceId, d.datasourceId, field, stored)
        .catch(() => null);
      if (plain !== value) failed.push(d.datasourceId);
    }
  }
  return [...new Set(failed)];
}

/**
 * Every row of the vault's and the test's tables, read with a raw driver connection (no
 * Nest), ordered; for "nothing changed" comparisons.
 */
export async function rawSnapshot(ref: StoreRef): Promise<Record<string, unknown[]>> {
  const tables: [string, string][] = [
    ['vault_data_keys', 'datasource_id'],
    ['vault_canary', 'id'],
    ['vault_test_secrets', 'datasource_id, field'],
    ['vault_test_instance_secrets', 'id'],
  ];
  const out: Record<string, unknown[]> = {};
  if (ref.databaseUrl) {
    const client = new Client({ connectionString: ref.databaseUrl });
    await client.connect();
    try {
      for (const [t, order] of tables)
        out[t] = (await client.query(`SELECT * FROM ${t} ORDER BY ${order}`)).rows;
    } finally {
      await client.end();
    }
  } else {
    const db = new Database(join(ref.dataDir, SQLITE_FILE_NAME), { readonly: true });
    try {
      for (const [t, order] of tables)
        out[t] = db.prepare(`SELECT * FROM ${t} ORDER BY ${order}`).all();
    } finally {
      db.close();
    }
  }
  return out;
}
