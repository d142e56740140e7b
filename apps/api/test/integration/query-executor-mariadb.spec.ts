import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import knex, { Knex } from 'knex';
import { tmpdir } from 'node:os';
import type { CheckedTarget } from '../../src/datasources/egress-policy';
import { MysqlConnector } from '../../src/datasources/connectors/mysql.connector';
import { MysqlExecutor } from '../../src/query-proxy/mysql-executor';
import { passwordOf, sqlConfigOf } from '../harness/datasource-fixtures';
import { createEngineDb, EngineDb } from '../harness/query-engines';
import { expectWithin, noteTiming } from '../harness/timing';

/**
 * MariaDB executor faults: LOAD DATA LOCAL INFILE, a statement that overrides the server-side
 * timeout, procedures with several result sets, and session locks outliving a run. `single` is a
 * pool of one connection, so what a run leaves on its session shows on the next run.
 */
const limits = { timeoutMs: 10_000, maxRows: 1000, maxBytes: 1_000_000 };
const executor = new MysqlExecutor();

type Outcome = { status: number; rows?: Record<string, unknown>[]; body?: unknown };
const outcome = (p: Promise<{ rows: Record<string, unknown>[] }>): Promise<Outcome> =>
  p.then(
    (r) => ({ status: 200, rows: r.rows, body: r }),
    (e: unknown) => ({ status: (e as { status?: number }).status ?? 0 }),
  );

describe('MariaDB executor: protocol, timeouts, result sets, session locks', () => {
  let db: EngineDb;
  let single: Knex;
  let connector: MysqlConnector;
  /** A pool of one built by the real connector (its mysql2 options). */
  let viaConnector: Knex;
  const run = (pool: Knex, sql: string, timeoutMs = limits.timeoutMs) =>
    executor.run(pool, { text: sql, values: [], limits: { ...limits, timeoutMs } });
  const connectionId = async (pool: Knex) =>
    (await run(pool, 'SELECT CONNECTION_ID() AS id')).rows[0].id;

  beforeAll(async () => {
    db = await createEngineDb('mysql');
    single = knex({ client: 'mysql2', connection: db.url, pool: { min: 0, max: 1 } });
    connector = new MysqlConnector({
      egress: {
        resolve: (hostname: string, port: number): Promise<CheckedTarget> =>
          Promise.resolve({ hostname, port, addresses: ['127.0.0.1'] }),
      },
      poolMax: 1,
      poolIdleMs: 60_000,
      connectTimeoutMs: 5_000,
      sqliteDir: tmpdir(),
      forbiddenFiles: [],
    });
    viaConnector = await connector.getPool({
      id: 'mariadb-faults',
      workspaceId: 'w',
      version: 1,
      type: 'mysql',
      config: sqlConfigOf(db.url),
      secrets: { password: passwordOf(db.url) },
    });
    await db.pool.raw('CREATE TABLE w (id int)');
    await db.pool.raw('CREATE PROCEDURE multi() BEGIN SELECT 1 AS a; SELECT 2 AS b; END');
    await db.pool.raw('CREATE PROCEDURE one_set() BEGIN SELECT 7 AS seven; END');
  });
  afterAll(async () => {
    await connector?.closeAll();
    await single?.destroy();
    await db?.close();
  });

  it('LOAD DATA LOCAL INFILE is refused by the server (422) and the next run works', async () => {
    const loaded = await outcome(
      run(viaConnector, "LOAD DATA LOCAL INFILE '/etc/hostname' INTO TABLE w"),
    );
    expect(loaded.status).toBe(422);
    expect((await run(viaConnector, 'SELECT 3 AS three')).rows).toEqual([{ three: 3 }]);
  });

  it('a run that ends out of protocol step fails and its connection is not reused', async () => {
    // `single` offers LOCAL INFILE (mysql2's default): the server asks for the file.
    const before = await connectionId(single);
    const loaded = await outcome(
      run(single, "LOAD DATA LOCAL INFILE '/etc/hostname' INTO TABLE w"),
    );
    expect(loaded.status).toBe(500);
    expect((await run(single, 'SELECT 3 AS three')).rows).toEqual([{ three: 3 }]);
    expect(await connectionId(single)).not.toBe(before);
  });

  it('a statement overriding the server-side limit times out (504) in a pool of one', async () => {
    const before = await connectionId(single);
    const started = Date.now();
    const slept = await outcome(
      run(single, 'SET STATEMENT max_statement_time=0 FOR SELECT SLEEP(4) AS s', 2_000),
    );
    const elapsed = Date.now() - started;
    expect(slept.status).toBe(504);
    // The pool's one connection is busy, so KILL QUERY finds no second one: the statement ends
    // on its own at 4 s, after the client-side timeout fired (3 s), and answers 504.
    expectWithin('SLEEP(4) past a 2000 ms limit in a pool of one: 504', elapsed, 13_000);
    // The connection in doubt was destroyed; the pool's one slot is free again.
    const next = Date.now();
    expect((await run(single, 'SELECT 3 AS three')).rows).toEqual([{ three: 3 }]);
    expectWithin('next run on a fresh connection', Date.now() - next, 2_000);
    expect(await connectionId(single)).not.toBe(before);
  });

  it('a CALL returns its first result set only; a write its affected rows', async () => {
    const called = await run(single, 'CALL multi()');
    expect(called.columns.map((c) => c.name)).toEqual(['a']);
    expect(called.rows).toEqual([{ a: 1 }]);
    expect((await run(single, 'CALL one_set()')).rows).toEqual([{ seven: 7 }]);
    expect(await run(single, 'INSERT INTO w VALUES (1), (2)')).toMatchObject({
      columns: [{ name: 'affectedRows', type: 'int' }],
      rows: [{ affectedRows: 2 }],
    });
    expect(await run(single, 'UPDATE w SET id = 5 WHERE id = 1')).toMatchObject({
      columns: [{ name: 'affectedRows', type: 'int' }],
      rows: [{ affectedRows: 1 }],
    });
  });

  it('session locks never outlive a run', async () => {
    await run(single, 'LOCK TABLES w WRITE');
    // Another session can write at once (the lock went with the connection).
    const write = () =>
      db.pool.raw('SET STATEMENT lock_wait_timeout = 2 FOR INSERT INTO w VALUES (9)');
    await write();
    await run(single, 'FLUSH TABLES WITH READ LOCK');
    await write();
    await db.pool.raw("CREATE PROCEDURE take_lock() BEGIN DO GET_LOCK('bastion_x', 0); END");
    await run(single, 'CALL take_lock()');
    // Released when the server ends the closed session, milliseconds after the run.
    const isFree = async () => {
      const [rows] = (await db.pool.raw("SELECT IS_FREE_LOCK('bastion_x') AS free")) as [
        { free: number }[],
      ];
      return Number(rows[0].free) === 1;
    };
    const released = Date.now();
    let free = await isFree();
    for (let i = 0; i < 40 && !free; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      free = await isFree();
    }
    noteTiming('GET_LOCK released after the run', Date.now() - released, 2_000);
    expect(free).toBe(true);
    expect((await run(single, 'SELECT 3 AS three')).rows).toEqual([{ three: 3 }]);
  });

  it('a SELECT-only run keeps its connection (no reconnect, no extra round trip)', async () => {
    const first = await connectionId(single);
    await run(single, 'SELECT 1 AS one');
    expect(await connectionId(single)).toBe(first);
  });
});
