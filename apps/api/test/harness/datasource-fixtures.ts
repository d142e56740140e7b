import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { createConnection } from 'mysql2/promise';
import { DataSource } from 'typeorm';
import { SQLITE_FILE_NAME } from '../../src/database/data-source-options';
import { call, type TestSession } from './auth-fixtures';
import type { TestApp } from './test-app';

/** Egress settings that let tests reach servers on this machine (loopback is denied by default). */
export const LOOPBACK_EGRESS = { EGRESS_ALLOW: '127.0.0.0/8,::1/128' };

/** Datasource config of a database URL (`postgres://` or `mysql://`), TLS off unless given. */
export function sqlConfigOf(url: string, extra: Record<string, unknown> = {}) {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port),
    database: decodeURIComponent(u.pathname.slice(1)),
    user: decodeURIComponent(u.username),
    tls: 'disable',
    ...extra,
  };
}

export const passwordOf = (url: string) => decodeURIComponent(new URL(url).password);

/** Creates a datasource through the API; throws with the body unless 201. */
export async function createDatasource(
  t: TestApp,
  admin: TestSession & { workspaceId: string },
  body: {
    name: string;
    type: string;
    config: unknown;
    secrets?: Record<string, { value: string }>;
  },
): Promise<{ id: string; version: number } & Record<string, unknown>> {
  const res = await call(
    t,
    admin,
    'POST',
    `/api/workspaces/${admin.workspaceId}/datasources`,
    body,
  );
  if (res.statusCode !== 201) throw new Error(`create failed: ${res.statusCode} ${res.body}`);
  return res.json();
}

/** Creates a PostgreSQL login role with an arbitrary password (escaped by the driver). */
export async function createPgUser(
  adminUrl: string,
  user: string,
  password: string,
): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(
      `CREATE ROLE ${client.escapeIdentifier(user)} LOGIN PASSWORD ${client.escapeLiteral(password)}`,
    );
  } finally {
    await client.end();
  }
}

/** Creates a MariaDB user with an arbitrary password and all privileges on `database`. */
export async function createMariaDbUser(
  adminUrl: string,
  user: string,
  password: string,
  database: string,
): Promise<void> {
  const conn = await createConnection(adminUrl);
  try {
    await conn.query("CREATE USER ?@'%' IDENTIFIED BY ?", [user, password]);
    await conn.query(`GRANT ALL PRIVILEGES ON \`${database}\`.* TO ?@'%'`, [user]);
  } finally {
    await conn.end();
  }
}

/**
 * Everything the metadata store holds, as text, for canary scans: the SQLite file and its WAL
 * bytes, or every row of every table of the PostgreSQL database.
 */
export async function metadataText(t: TestApp): Promise<string> {
  if (!t.databaseUrl) {
    const file = join(t.dataDir, SQLITE_FILE_NAME);
    return [file, `${file}-wal`]
      .filter((f) => existsSync(f))
      .map((f) => readFileSync(f).toString('latin1') + readFileSync(f).toString('utf8'))
      .join('\n');
  }
  const ds = t.app.get(DataSource);
  const tables = await ds.query<{ tablename: string }[]>(
    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
  );
  const parts: string[] = [];
  for (const { tablename } of tables) {
    const rows = await ds.query<{ t: string }[]>(`SELECT x::text AS t FROM "${tablename}" x`);
    parts.push(...rows.map((r) => r.t));
  }
  return parts.join('\n');
}

/** Asserts that no canary appears in the given texts; returns the offending pairs otherwise. */
export function findCanaries(texts: string[], canaries: string[]): string[] {
  const hits: string[] = [];
  for (const canary of canaries) {
    for (const text of texts) {
      if (text.includes(canary)) hits.push(`${canary} in: ${text.slice(0, 200)}`);
    }
  }
  return hits;
}
