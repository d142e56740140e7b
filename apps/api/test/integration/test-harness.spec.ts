import { Client } from 'pg';
import { createConnection } from 'mysql2/promise';
import { describe, expect, inject, it } from 'vitest';
import { createMariaDbDatabase } from '../harness/mariadb-server';
import { createPostgresDatabase } from '../harness/postgres-server';

describe('database test harness', () => {
  it('PostgreSQL checks passwords for real', async () => {
    const url = await createPostgresDatabase(inject('postgresAdminUrl'));
    const ok = new Client({ connectionString: url });
    await ok.connect();
    const { rows } = await ok.query<{ v: string }>('SELECT version() AS v');
    expect(rows[0].v).toMatch(/PostgreSQL/);
    await ok.end();

    const wrong = new URL(url);
    wrong.password = 'not-the-password';
    const bad = new Client({ connectionString: wrong.toString() });
    await expect(bad.connect()).rejects.toThrow(/password authentication failed/);
  });

  it('MariaDB checks passwords for real', async () => {
    const url = await createMariaDbDatabase(inject('mysqlAdminUrl'));
    const ok = await createConnection(url);
    const [rows] = await ok.query('SELECT VERSION() AS v');
    expect((rows as { v: string }[])[0].v).toMatch(/MariaDB/);
    await ok.end();

    const wrong = new URL(url);
    wrong.password = 'not-the-password';
    await expect(createConnection(wrong.toString())).rejects.toThrow(/Access denied/);
  });
});
