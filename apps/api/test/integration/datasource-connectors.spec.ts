import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ConnectorRegistry } from '../../src/datasources/connectors/connector-registry';
import type { SqlConnector } from '../../src/datasources/connectors/connector';
import { DatasourceService } from '../../src/datasources/datasource.service';
import { call, setupOrReuse, TestSession } from '../harness/auth-fixtures';
import {
  createDatasource,
  createMariaDbUser,
  createPgUser,
  findCanaries,
  LOOPBACK_EGRESS,
  passwordOf,
  sqlConfigOf,
} from '../harness/datasource-fixtures';
import { createMariaDbDatabase } from '../harness/mariadb-server';
import { createPostgresDatabase } from '../harness/postgres-server';
import { createTestApp, TestApp } from '../harness/test-app';
import { pollUntil } from '../harness/timing';

type Admin = TestSession & { workspaceId: string };

/** F11: passwords with URL and quoting metacharacters, non-ASCII and an emoji. */
const SPECIAL_PASSWORDS = ['p@ss:w/rd%23#?&=!', `pässwörd-密码-🔑 "q" 'x'`];

describe('connectors against real servers', () => {
  let t: TestApp;
  let admin: Admin;
  let pgAdminUrl: string;
  let pgDbUrl: string;
  let myAdminUrl: string;
  let myDbUrl: string;
  let n = 0;
  const name = (label: string) => `${label} ${++n}`;
  const url = (rest = '') => `/api/workspaces/${admin.workspaceId}/datasources${rest}`;
  const test = async (id: string, body: unknown = {}) =>
    (await call(t, admin, 'POST', url(`/${id}/test`), body)).json<{
      ok: boolean;
      message: string;
    }>();
  /** What the query proxy does: resolve, take the pool, run. */
  const run = async (id: string, sql: string) => {
    const ds = await t.app.get(DatasourceService).resolveForRun(admin.workspaceId, id);
    const connector = t.app.get(ConnectorRegistry).get(ds.type) as SqlConnector;
    const pool = await connector.getPool(ds);
    return pool.raw(sql);
  };
  const pgRows = async (id: string, sql: string) =>
    ((await run(id, sql)) as { rows: Record<string, unknown>[] }).rows;
  const myRows = async (id: string, sql: string) =>
    ((await run(id, sql)) as unknown as [Record<string, unknown>[]])[0];

  beforeAll(async () => {
    t = await createTestApp({ store: 'sqlite', env: LOOPBACK_EGRESS });
    admin = await setupOrReuse(t);
    pgAdminUrl = inject('postgresAdminUrl');
    pgDbUrl = await createPostgresDatabase(pgAdminUrl, 'ds');
    myAdminUrl = inject('mysqlAdminUrl');
    myDbUrl = await createMariaDbDatabase(myAdminUrl, 'ds');
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('PostgreSQL (scram password auth)', () => {
    const pgDatasource = (user: string, password: string) =>
      createDatasource(t, admin, {
        name: name('pg'),
        type: 'postgres',
        config: sqlConfigOf(pgDbUrl, { user }),
        secrets: { password: { value: password } },
      });

    it.each(SPECIAL_PASSWORDS)(
      'F11: %s survives create, test, run, rename, run',
      async (password) => {
        const user = `u_${randomBytes(4).toString('hex')}`;
        await createPgUser(pgAdminUrl, user, password);
        const ds = await pgDatasource(user, password);
        expect(await test(ds.id)).toEqual({ ok: true, message: 'Connected successfully' });
        expect(await pgRows(ds.id, 'select current_user as u')).toEqual([{ u: user }]);
        const resolved = await t.app.get(DatasourceService).resolveForRun(admin.workspaceId, ds.id);
        expect(Buffer.from(resolved.secrets.password, 'utf8')).toEqual(
          Buffer.from(password, 'utf8'),
        );
        const renamed = await call(t, admin, 'PATCH', url(`/${ds.id}`), { name: name('renamed') });
        expect(renamed.json()).toMatchObject({ version: 2 });
        expect(await pgRows(ds.id, 'select 1 as one')).toEqual([{ one: 1 }]);
      },
    );

    it('F2: partial updates never wipe the stored password; null is a 400', async () => {
      const user = `u_${randomBytes(4).toString('hex')}`;
      await createPgUser(pgAdminUrl, user, 'p@ss:w/rd%');
      const ds = await pgDatasource(user, 'p@ss:w/rd%');
      const select1 = async () =>
        expect(await pgRows(ds.id, 'select 1 as one')).toEqual([{ one: 1 }]);
      await select1();
      // a non-target config change without the password key: kept
      expect(
        (await call(t, admin, 'PATCH', url(`/${ds.id}`), { config: { caCert: null } })).statusCode,
      ).toBe(200);
      await select1();
      // a target change without it: refused, stored password intact
      expect(
        (await call(t, admin, 'PATCH', url(`/${ds.id}`), { config: { host: 'localhost' } }))
          .statusCode,
      ).toBe(400);
      await select1();
      // the same with the password: works against the new host
      const moved = await call(t, admin, 'PATCH', url(`/${ds.id}`), {
        config: { host: 'localhost' },
        secrets: { password: { value: 'p@ss:w/rd%' } },
      });
      expect(moved.statusCode).toBe(200);
      await select1();
      expect(
        (await call(t, admin, 'PATCH', url(`/${ds.id}`), { secrets: { password: null } }))
          .statusCode,
      ).toBe(400);
      await select1();
      expect(await test(ds.id)).toMatchObject({ ok: true });
    });

    it('F3: the unchanged form keeps the password; a real password of "********" connects', async () => {
      const user = `u_${randomBytes(4).toString('hex')}`;
      await createPgUser(pgAdminUrl, user, 'Pw-form-1');
      const ds = await pgDatasource(user, 'Pw-form-1');
      const read = (await call(t, admin, 'GET', url(`/${ds.id}`))).json<{
        name: string;
        config: Record<string, unknown>;
      }>();
      // the form submits what it read, without secrets: nothing changes
      const same = await call(t, admin, 'PATCH', url(`/${ds.id}`), {
        name: read.name,
        config: read.config,
      });
      expect(same.statusCode).toBe(200);
      expect(await test(ds.id)).toMatchObject({ ok: true });

      const starUser = `u_${randomBytes(4).toString('hex')}`;
      await createPgUser(pgAdminUrl, starUser, '********');
      const stars = await pgDatasource(starUser, '********');
      expect(await test(stars.id)).toMatchObject({ ok: true });
      expect(await pgRows(stars.id, 'select current_user as u')).toEqual([{ u: starUser }]);
    });

    it('clear, secret-free failures: wrong password, closed port, unknown database', async () => {
      const wrong = await pgDatasource(new URL(pgAdminUrl).username, 'Canary-WRONG-41');
      const bad = await test(wrong.id);
      expect(bad).toEqual({ ok: false, message: expect.stringMatching(/refused the credentials/) });
      const closed = await createDatasource(t, admin, {
        name: name('closed'),
        type: 'postgres',
        config: sqlConfigOf(pgDbUrl, { port: 1 }),
        secrets: { password: { value: passwordOf(pgDbUrl) } },
      });
      expect(await test(closed.id)).toEqual({
        ok: false,
        message: expect.stringMatching(/refused the connection/),
      });
      const nodb = await createDatasource(t, admin, {
        name: name('nodb'),
        type: 'postgres',
        config: sqlConfigOf(pgDbUrl, { database: 'does_not_exist' }),
        secrets: { password: { value: passwordOf(pgDbUrl) } },
      });
      expect(await test(nodb.id)).toEqual({
        ok: false,
        message: expect.stringMatching(/does not exist/),
      });
      // a test with a just-typed password (not saved)
      expect(
        await test(wrong.id, { secrets: { password: { value: passwordOf(pgDbUrl) } } }),
      ).toMatchObject({ ok: true });
      expect(findCanaries(t.logs, ['Canary-WRONG-41', passwordOf(pgDbUrl)])).toEqual([]);
    });

    it('pools: bounded per datasource, keyed by version, old pool closed on update and delete', async () => {
      const user = `u_${randomBytes(4).toString('hex')}`;
      await createPgUser(pgAdminUrl, user, 'Pw-pool-1');
      const ds = await pgDatasource(user, 'Pw-pool-1');
      const pgAdmin = new Client({ connectionString: pgAdminUrl });
      await pgAdmin.connect();
      const connections = async () =>
        Number(
          (
            await pgAdmin.query<{ c: string }>(
              `SELECT count(*) AS c FROM pg_stat_activity WHERE usename = $1`,
              [user],
            )
          ).rows[0].c,
        );
      try {
        let peak = 0;
        const sampler = setInterval(() => {
          void connections().then((c) => (peak = Math.max(peak, c)));
        }, 50);
        await Promise.all(Array.from({ length: 12 }, () => run(ds.id, 'select pg_sleep(0.3)')));
        clearInterval(sampler);
        expect(peak).toBeGreaterThan(1);
        expect(peak).toBeLessThanOrEqual(5);
        expect(await connections()).toBeGreaterThan(0);
        await call(t, admin, 'PATCH', url(`/${ds.id}`), { name: name('v2') });
        expect(await connections()).toBe(0);
        await run(ds.id, 'select 1');
        expect(await connections()).toBeGreaterThan(0);
        expect((await call(t, admin, 'DELETE', url(`/${ds.id}`))).statusCode).toBe(204);
        expect(await connections()).toBe(0);
      } finally {
        await pgAdmin.end();
      }
    });
  });

  describe('MariaDB (password auth)', () => {
    it.each(SPECIAL_PASSWORDS)(
      'F11: %s survives create, test, run, rename, run',
      async (password) => {
        const database = new URL(myDbUrl).pathname.slice(1);
        const user = `u_${randomBytes(4).toString('hex')}`;
        await createMariaDbUser(myAdminUrl, user, password, database);
        const ds = await createDatasource(t, admin, {
          name: name('maria'),
          type: 'mysql',
          config: sqlConfigOf(myDbUrl, { user }),
          secrets: { password: { value: password } },
        });
        expect(await test(ds.id)).toEqual({ ok: true, message: 'Connected successfully' });
        const rows = await myRows(ds.id, 'select current_user() as u');
        expect(String(rows[0].u)).toMatch(new RegExp(`^${user}@`));
        await call(t, admin, 'PATCH', url(`/${ds.id}`), { name: name('renamed') });
        expect(await myRows(ds.id, 'select 1 as one')).toEqual([{ one: 1 }]);
      },
    );

    it('a wrong password is a clear, secret-free failure', async () => {
      const ds = await createDatasource(t, admin, {
        name: name('maria wrong'),
        type: 'mysql',
        config: sqlConfigOf(myDbUrl),
        secrets: { password: { value: 'Canary-MY-WRONG' } },
      });
      expect(await test(ds.id)).toEqual({
        ok: false,
        message: expect.stringMatching(/refused the credentials/),
      });
      expect(findCanaries(t.logs, ['Canary-MY-WRONG'])).toEqual([]);
    });
  });

  describe('SQLite files, confined to SQLITE_DATASOURCE_DIR', () => {
    let dir: string;
    let outside: string;
    beforeAll(() => {
      dir = t.config.datasources.sqliteDir;
      mkdirSync(join(dir, 'sub'), { recursive: true });
      const db = new Database(join(dir, 'sales.db'));
      db.exec("CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('ok')");
      db.close();
      outside = mkdtempSync(join(tmpdir(), 'bastion-outside-'));
      new Database(join(outside, 'secret.db')).close();
      symlinkSync(join(outside, 'secret.db'), join(dir, 'link-out.db'));
      symlinkSync(join(t.dataDir, 'bastion.sqlite'), join(dir, 'link-meta.db'));
      symlinkSync(outside, join(dir, 'sub', 'dirlink'));
      writeFileSync(join(dir, 'not-a-db.db'), 'hello');
    });
    afterAll(() => rmSync(outside, { recursive: true, force: true }));

    it('a file inside the folder connects and runs', async () => {
      const ds = await createDatasource(t, admin, {
        name: name('sqlite'),
        type: 'sqlite',
        config: { filename: 'sales.db' },
      });
      expect(await test(ds.id)).toMatchObject({ ok: true });
      expect(await run(ds.id, 'select x from t')).toEqual([{ x: 'ok' }]);
    });

    it.each([
      '/etc/passwd',
      './../bastion.sqlite',
      '../bastion.sqlite',
      'sub/../../x.db',
      'C:\\x.db',
    ])('refuses %s at save time (400 naming the field)', async (filename) => {
      const res = await call(t, admin, 'POST', url(), {
        name: name('bad'),
        type: 'sqlite',
        config: { filename },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json<{ message: string }>().message).toContain('config.filename');
    });

    it.each([
      ['link-out.db', /inside the SQLite folder/],
      ['link-meta.db', /inside the SQLite folder/],
      ['sub/dirlink/secret.db', /inside the SQLite folder/],
      ['missing.db', /no such file/],
      ['sub', /must be a file/],
      ['not-a-db.db', /cannot be opened|failed/],
    ])('refuses %s at connect time', async (filename, reason) => {
      const ds = await createDatasource(t, admin, {
        name: name('sqlite'),
        type: 'sqlite',
        config: { filename },
      });
      const result = await test(ds.id);
      expect(result.ok).toBe(false);
      expect(result.message).toMatch(reason);
      await expect(run(ds.id, 'select 1')).rejects.toThrow();
    });
  });
});

describe("the platform's own metadata database is never a target", () => {
  let t: TestApp;
  beforeAll(async () => {
    // loopback allowed, yet the metadata PostgreSQL (on loopback) stays refused
    t = await createTestApp({ store: 'postgres', env: LOOPBACK_EGRESS });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses a datasource at the metadata host:port, under any loopback address', async () => {
    const admin = await setupOrReuse(t);
    const meta = new URL(t.databaseUrl!);
    for (const host of [meta.hostname, '127.0.0.2', 'localhost']) {
      const res = await call(
        t,
        admin,
        'POST',
        `/api/workspaces/${admin.workspaceId}/datasources/test`,
        {
          type: 'postgres',
          config: sqlConfigOf(t.databaseUrl!, { host }),
          secrets: { password: { value: passwordOf(t.databaseUrl!) } },
        },
      );
      expect(res.json(), host).toEqual({
        ok: false,
        message: expect.stringMatching(/metadata database/),
      });
    }
  });
});

describe('pool limits come from configuration', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      store: 'sqlite',
      env: { ...LOOPBACK_EGRESS, DATASOURCE_POOL_MAX: '2', DATASOURCE_POOL_IDLE_MS: '1000' },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('DATASOURCE_POOL_MAX bounds connections; DATASOURCE_POOL_IDLE_MS closes an unused pool', async () => {
    const admin = await setupOrReuse(t);
    const pgAdminUrl = inject('postgresAdminUrl');
    const user = `u_${randomBytes(4).toString('hex')}`;
    await createPgUser(pgAdminUrl, user, 'Pw-idle-1');
    const ds = await createDatasource(t, admin, {
      name: 'idle',
      type: 'postgres',
      config: sqlConfigOf(pgAdminUrl, { user }),
      secrets: { password: { value: 'Pw-idle-1' } },
    });
    const resolved = await t.app.get(DatasourceService).resolveForRun(admin.workspaceId, ds.id);
    const pool = await (t.app.get(ConnectorRegistry).get('postgres') as SqlConnector).getPool(
      resolved,
    );
    const pgAdmin = new Client({ connectionString: pgAdminUrl });
    await pgAdmin.connect();
    const connections = async () =>
      Number(
        (
          await pgAdmin.query<{ c: string }>(
            'SELECT count(*) AS c FROM pg_stat_activity WHERE usename = $1',
            [user],
          )
        ).rows[0].c,
      );
    try {
      let peak = 0;
      const sampler = setInterval(() => {
        void connections().then((c) => (peak = Math.max(peak, c)));
      }, 40);
      await Promise.all(Array.from({ length: 6 }, () => pool.raw('select pg_sleep(0.2)')));
      clearInterval(sampler);
      expect(peak).toBe(2);
      expect(await connections()).toBeGreaterThan(0);
      // Closed by the sweep (every idleMs / 4) at most 1.25 s after the last use.
      await pollUntil('idle pool closed (DATASOURCE_POOL_IDLE_MS=1000)', connections, 0, {
        timeoutMs: 10_000,
      });
    } finally {
      await pgAdmin.end();
    }
  });
});
