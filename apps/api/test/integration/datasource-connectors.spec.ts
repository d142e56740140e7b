import Database from 'better-sqlite3';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ConnectorRegistry } from '../../src/datasources/connectors/connector-registry';
import type { SqlConnector } from '../../src/datasources/connectors/connector';
import { DatasourceService } from '../../src/datasources/datasource.service';
import { call, otherWorkspace, setupOrReuse, TestSession } from '../harness/auth-fixtures';
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

  describe("SQLite files, confined to the workspace's folder in SQLITE_DATASOURCE_DIR", () => {
    let dir: string;
    let wsDir: string;
    let outside: string;
    let other: Admin;
    const preview = (who: Admin, id: string, sql: string) =>
      call(t, who, 'POST', `/api/workspaces/${who.workspaceId}/datasources/${id}/preview`, {
        query: { sql },
        params: {},
      });
    const makeDb = (file: string, value: string) => {
      const db = new Database(file);
      db.exec(`CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('${value}')`);
      db.close();
    };
    beforeAll(async () => {
      dir = t.config.datasources.sqliteDir;
      wsDir = join(dir, admin.workspaceId);
      mkdirSync(join(wsDir, 'sub'), { recursive: true });
      makeDb(join(wsDir, 'sales.db'), 'ok');
      outside = mkdtempSync(join(tmpdir(), 'bastion-outside-'));
      new Database(join(outside, 'secret.db')).close();
      symlinkSync(join(outside, 'secret.db'), join(wsDir, 'link-out.db'));
      symlinkSync(join(t.dataDir, 'bastion.sqlite'), join(wsDir, 'link-meta.db'));
      symlinkSync(outside, join(wsDir, 'sub', 'dirlink'));
      writeFileSync(join(wsDir, 'not-a-db.db'), 'hello');
      // a file in the shared folder, outside every workspace's folder
      makeDb(join(dir, 'shared.db'), 'shared');
      other = await otherWorkspace(t);
    });
    afterAll(() => rmSync(outside, { recursive: true, force: true }));

    it('a file inside the folder connects and runs', async () => {
      const ds = await createDatasource(t, admin, {
        name: name('sqlite'),
        type: 'sqlite',
        config: { filename: 'sales.db' },
      });
      expect(ds.config).toEqual({ filename: 'sales.db', readOnly: false });
      expect(await test(ds.id)).toMatchObject({ ok: true });
      expect(await run(ds.id, 'select x from t')).toEqual([{ x: 'ok' }]);
    });

    it("creates a workspace's folder on first use, mode 0700", async () => {
      const fresh = await otherWorkspace(t);
      const folder = join(dir, fresh.workspaceId);
      expect(existsSync(folder)).toBe(false);
      const ds = await createDatasource(t, fresh, {
        name: name('sqlite'),
        type: 'sqlite',
        config: { filename: 'sales.db' },
      });
      const res = await call(
        t,
        fresh,
        'POST',
        `/api/workspaces/${fresh.workspaceId}/datasources/${ds.id}/test`,
        {},
      );
      expect(res.json()).toEqual({
        ok: false,
        message: expect.stringMatching(/no such file in the workspace's SQLite folder/),
      });
      expect(statSync(folder).isDirectory()).toBe(true);
      expect(statSync(folder).mode & 0o777).toBe(0o700);
    });

    it.each([
      '/etc/passwd',
      './../bastion.sqlite',
      '../bastion.sqlite',
      'sub/../../x.db',
      'C:\\x.db',
      'sub\\x.db',
      '..\\x.db',
      '%2e%2e/shared.db',
      '%2E%2E%2Fshared.db',
      'file:sales.db',
      'file:///etc/passwd',
      ':memory:',
      '.hidden.db',
      './sales.db',
      'sub//sales.db',
      'sales.db\u0000',
      'sales.db?mode=ro',
      'a/b/c/d/e.db',
    ])('refuses %j at save time (400 naming the field)', async (filename) => {
      const res = await call(t, admin, 'POST', url(), {
        name: name('bad'),
        type: 'sqlite',
        config: { filename },
      });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json<{ message: string }>().message).toContain('config.filename');
    });

    it.each([
      ['link-out.db', /inside the workspace's SQLite folder/],
      ['link-meta.db', /inside the workspace's SQLite folder/],
      ['sub/dirlink/secret.db', /inside the workspace's SQLite folder/],
      ['missing.db', /no such file/],
      ['shared.db', /no such file/],
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

    it("another workspace's datasource reads nothing of this workspace's file", async () => {
      // same name: a different file (missing until B's operator puts one there)
      const same = await createDatasource(t, other, {
        name: name('same'),
        type: 'sqlite',
        config: { filename: 'sales.db' },
      });
      const otherUrl = `/api/workspaces/${other.workspaceId}/datasources`;
      const tested = await call(t, other, 'POST', `${otherUrl}/${same.id}/test`, {});
      expect(tested.json()).toMatchObject({
        ok: false,
        message: expect.stringMatching(/no such file/),
      });
      const missing = await preview(other, same.id, 'select x from t');
      expect(missing.statusCode).toBe(400);
      expect(missing.body).not.toContain("'ok'");
      makeDb(join(dir, other.workspaceId, 'sales.db'), 'B only');
      const own = await preview(other, same.id, 'select x from t');
      expect(own.json<{ rows: unknown[] }>().rows).toEqual([{ x: 'B only' }]);
      // A's file is unchanged and still A's
      const mine = await createDatasource(t, admin, {
        name: name('mine'),
        type: 'sqlite',
        config: { filename: 'sales.db' },
      });
      expect(await run(mine.id, 'select x from t')).toEqual([{ x: 'ok' }]);
      // climbing into A's folder, or A's absolute path: refused at save time
      for (const filename of [
        `../${admin.workspaceId}/sales.db`,
        `sub/../../${admin.workspaceId}/sales.db`,
        join(wsDir, 'sales.db'),
      ]) {
        const res = await call(t, other, 'POST', otherUrl, {
          name: name('climb'),
          type: 'sqlite',
          config: { filename },
        });
        expect(res.statusCode, filename).toBe(400);
        expect(res.body).not.toContain(dir);
      }
      // a symlink B's operator might leave pointing into A's folder: refused at connect time
      symlinkSync(join(wsDir, 'sales.db'), join(dir, other.workspaceId, 'link-a.db'));
      const linked = await createDatasource(t, other, {
        name: name('link'),
        type: 'sqlite',
        config: { filename: 'link-a.db' },
      });
      const viaLink = await preview(other, linked.id, 'select x from t');
      expect(viaLink.statusCode).toBe(400);
      expect(viaLink.body).toMatch(/inside the workspace's SQLite folder/);
      expect(viaLink.body).not.toContain("'ok'");
    });

    it('a file replaced by a symlink after the pool opened it is refused at the next run', async () => {
      makeDb(join(wsDir, 'swap.db'), 'inside');
      makeDb(join(outside, 'elsewhere.db'), 'OUTSIDE-CANARY');
      const ds = await createDatasource(t, admin, {
        name: name('swap'),
        type: 'sqlite',
        config: { filename: 'swap.db' },
      });
      expect((await preview(admin, ds.id, 'select x from t')).json()).toMatchObject({
        rows: [{ x: 'inside' }],
      });
      rmSync(join(wsDir, 'swap.db'));
      symlinkSync(join(outside, 'elsewhere.db'), join(wsDir, 'swap.db'));
      for (let i = 0; i < 3; i += 1) {
        const res = await preview(admin, ds.id, 'select x from t');
        expect([400, 422], res.body).toContain(res.statusCode);
        expect(res.body).not.toContain('OUTSIDE-CANARY');
        expect(res.body).not.toContain(outside);
      }
    });

    it('readOnly opens the file read-only: reads work, writes are a clear 422', async () => {
      makeDb(join(wsDir, 'ro.db'), 'kept');
      const ds = await createDatasource(t, admin, {
        name: name('ro'),
        type: 'sqlite',
        config: { filename: 'ro.db', readOnly: true },
      });
      expect(ds.config).toEqual({ filename: 'ro.db', readOnly: true });
      expect((await preview(admin, ds.id, 'select x from t')).json()).toMatchObject({
        rows: [{ x: 'kept' }],
      });
      for (const sql of [
        "insert into t values ('no')",
        'delete from t',
        'create table u (y)',
        'drop table t',
        'pragma user_version = 7',
      ]) {
        const res = await preview(admin, ds.id, sql);
        expect(res.statusCode, `${sql}: ${res.body}`).toBe(422);
        expect(res.json<{ message: string }>().message).toMatch(/read-only/);
      }
      const db = new Database(join(wsDir, 'ro.db'), { readonly: true });
      expect(db.prepare('select x from t').all()).toEqual([{ x: 'kept' }]);
      expect(db.pragma('user_version', { simple: true })).toBe(0);
      db.close();
      // switching it off makes the same datasource writable
      const patched = await call(t, admin, 'PATCH', url(`/${ds.id}`), {
        config: { readOnly: false },
      });
      expect(patched.statusCode, patched.body).toBe(200);
      expect((await preview(admin, ds.id, "insert into t values ('yes')")).statusCode).toBe(200);
    });

    it('canary: no response names the server folders', async () => {
      makeDb(join(wsDir, 'canary.db'), 'c');
      const ds = await createDatasource(t, admin, {
        name: name('canary'),
        type: 'sqlite',
        config: { filename: 'canary.db' },
      });
      const missing = await createDatasource(t, admin, {
        name: name('canary missing'),
        type: 'sqlite',
        config: { filename: 'sub/missing.db' },
      });
      const responses = [
        await call(t, admin, 'GET', url()),
        await call(t, admin, 'GET', url(`/${ds.id}`)),
        await call(t, admin, 'POST', url(`/${ds.id}/test`), {}),
        await call(t, admin, 'POST', url(`/${missing.id}/test`), {}),
        await call(t, admin, 'POST', url('/test'), {
          type: 'sqlite',
          config: { filename: 'link-out.db' },
          secrets: {},
        }),
        await preview(admin, missing.id, 'select 1'),
        ...(await Promise.all(
          [
            'PRAGMA database_list',
            'select * from pragma_database_list',
            "ATTACH 'x.db' AS x",
            "VACUUM INTO 'x.db'",
            'select * from nope',
            'select x from t',
            'EXPLAIN select x from t',
            "select load_extension('x')",
          ].map((sql) => preview(admin, ds.id, sql)),
        )),
      ];
      const folders = [t.dataDir, realpathSync(t.dataDir), dir, realpathSync(dir)];
      for (const res of responses) {
        expect(res.statusCode).toBeLessThan(500);
        for (const folder of folders) expect(res.body).not.toContain(folder);
      }
      expect(responses.map((r) => r.statusCode)).toContain(200);
      // the server log names the data folder at first boot (the generated vault key), never the
      // SQLite folder
      for (const folder of [dir, realpathSync(dir)]) {
        expect(t.logs.join('\n')).not.toContain(folder);
      }
    });

    it('readOnly must be a boolean', async () => {
      const res = await call(t, admin, 'POST', url(), {
        name: name('ro bad'),
        type: 'sqlite',
        config: { filename: 'ro.db', readOnly: 'yes' },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json<{ message: string }>().message).toContain('config.readOnly');
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
