import { createServer, IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addMember,
  call,
  otherWorkspace,
  setupOrReuse,
  TestSession,
} from '../harness/auth-fixtures';
import { createEngineDb, EngineDb, SqlEngine } from '../harness/query-engines';
import {
  createApp,
  createDatasourceFor,
  createQuery,
  createRestDatasource,
  publish,
  runQuery,
} from '../harness/query-fixtures';
import { createTestApp, TestApp } from '../harness/test-app';
import { expectWithin, noteTiming, pollUntil } from '../harness/timing';

/**
 * Runs through the whole API against real PostgreSQL, MariaDB, SQLite and a local HTTP server:
 * F6 (bound values), F7 (viewer limits), F9 (caps while others keep answering), F10 (timeouts
 * at the database, nothing left running, other requests unblocked), publish freezing, REST
 * templating, the canary scan (no result or parameter value kept anywhere) and error mapping.
 */
const ENGINES: SqlEngine[] = ['postgres', 'mysql', 'sqlite'];
const CANARY_RESULT = `Canary-Result-${randomBytes(6).toString('hex')}`;
const CANARY_PARAM = `Canary-Param-${randomBytes(6).toString('hex')}`;
const SLOW: Record<SqlEngine, string> = {
  postgres: 'SELECT pg_sleep(30) AS slept',
  mysql: 'SELECT SLEEP(30) AS slept',
  sqlite:
    'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000000) SELECT count(*) AS n FROM c',
};
/**
 * Limit of the SLOW queries: long enough that a request probed beside them (F10) is answered
 * seconds before any of them can end, even on a busy machine.
 */
const SLOW_TIMEOUT_MS = 4_000;
const BIG: Record<SqlEngine, string> = {
  postgres: "SELECT g, repeat('x', 1000) AS pad FROM generate_series(1, 200000) g",
  mysql: "SELECT seq AS g, REPEAT('x', 1000) AS pad FROM seq_1_to_200000",
  sqlite:
    "WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < 200000) SELECT g, printf('%.1000c', 'x') AS pad FROM s",
};

/** 64-bit values around the edges of a double's exact integers and of int8. */
const BIG_ROWS: [string, string][] = [
  ['9007199254740992', 'two53'],
  ['9007199254740993', 'two53plus1'],
  ['9223372036854775807', 'max'],
  ['-9223372036854775808', 'min'],
];
/** What the database made of a bound integer: its type and, in SQLite, its storage class. */
const BOUND_TYPE: Record<SqlEngine, string> = {
  postgres: 'SELECT pg_typeof({{ id }})::text AS t, {{ id }} + 1 AS next',
  mysql: 'SELECT {{ id }} AS v',
  sqlite: 'SELECT typeof({{ id }}) AS t, {{ id }} + 1 AS next',
};

/** POSTs a raw JSON text (numbers exactly as written) as `session`. */
function postRaw(t: TestApp, session: TestSession, url: string, text: string) {
  return t.app.inject({
    method: 'POST',
    url,
    headers: {
      cookie: session.cookie,
      'x-csrf-token': session.csrfToken,
      'content-type': 'application/json',
    },
    payload: text,
  });
}

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

describe('query runs through the API', () => {
  let t: TestApp;
  let sqliteDir: string;
  let admin: TestSession & { workspaceId: string };
  let editor: TestSession;
  let viewer: TestSession;
  let wid: string;
  let appId: string;
  const dbs = {} as Record<SqlEngine, EngineDb>;
  const ds = {} as Record<SqlEngine, string>;
  const q = {} as Record<
    SqlEngine,
    {
      find: string;
      slow: string;
      big: string;
      one: string;
      canary: string;
      bigFind: string;
      bigType: string;
      bigInsert: string;
      bigLimit: string;
    }
  >;
  /** Every non-run response body, for the canary scan. */
  const otherResponses: string[] = [];
  let http: Server;
  let received: Received[] = [];
  let restDs: string;
  let restQuery: string;
  let restInteger: string;
  const bearer = `Canary-Token-${randomBytes(6).toString('hex')}`;

  beforeAll(async () => {
    sqliteDir = mkdtempSync(join(tmpdir(), 'bastion-sqlite-dir-'));
    t = await createTestApp({
      env: {
        EGRESS_ALLOW_LOOPBACK: 'true',
        SQLITE_DATASOURCE_DIR: sqliteDir,
        DATASOURCE_POOL_MAX: '10',
        QUERY_MAX_CONCURRENT_PER_DATASOURCE: '4',
        // No run queue here: a run over the bound is refused at once (run-queue.spec.ts tests
        // the queue).
        QUERY_QUEUE_MAX: '0',
        QUERY_MAX_ROWS: '5000',
        QUERY_MAX_BYTES: '2000000',
      },
    });
    admin = await setupOrReuse(t);
    wid = admin.workspaceId;
    editor = await addMember(t, admin, wid, 'editor');
    viewer = await addMember(t, admin, wid, 'viewer');
    appId = await createApp(t, editor, wid, 'Runs');
    for (const engine of ENGINES) {
      const db = await createEngineDb(engine, 10, join(sqliteDir, wid));
      dbs[engine] = db;
      await db.pool.schema.createTable('people', (tb) => {
        tb.integer('id');
        tb.string('name');
      });
      await db.pool.schema.createTable('t', (tb) => tb.integer('id'));
      await db.pool('people').insert([
        { id: 1, name: 'alice' },
        { id: 2, name: 'bob' },
        { id: 3, name: CANARY_RESULT },
      ]);
      await db.pool.schema.createTable('bigs', (tb) => {
        tb.bigInteger('id');
        tb.string('name');
      });
      await db.pool('bigs').insert(BIG_ROWS.map(([id, name]) => ({ id, name })));
      ds[engine] = await createDatasourceFor(t, admin, wid, db);
      const base = { datasourceId: ds[engine] };
      q[engine] = {
        find: await createQuery(t, editor, wid, appId, {
          ...base,
          name: `find_${engine}`,
          body: { sql: 'SELECT id, name FROM people WHERE name = {{ name }}' },
          params: [{ name: 'name', type: 'string', required: true }],
        }),
        slow: await createQuery(t, editor, wid, appId, {
          ...base,
          name: `slow_${engine}`,
          body: { sql: SLOW[engine] },
          timeoutMs: SLOW_TIMEOUT_MS,
        }),
        big: await createQuery(t, editor, wid, appId, {
          ...base,
          name: `big_${engine}`,
          body: { sql: BIG[engine] },
          maxRows: 1000,
        }),
        one: await createQuery(t, editor, wid, appId, {
          ...base,
          name: `one_${engine}`,
          body: { sql: 'SELECT 1 AS one' },
        }),
        canary: await createQuery(t, editor, wid, appId, {
          ...base,
          name: `canary_${engine}`,
          body: { sql: 'SELECT name FROM people WHERE id = {{ id }} OR name = {{ probe }}' },
          params: [
            { name: 'id', type: 'number', required: true },
            { name: 'probe', type: 'string', required: false },
          ],
        }),
        bigFind: await createQuery(t, editor, wid, appId, {
          ...base,
          name: `big_find_${engine}`,
          body: { sql: 'SELECT id, name FROM bigs WHERE id = {{ id }} ORDER BY name' },
          params: [{ name: 'id', type: 'integer', required: true }],
        }),
        bigInsert: await createQuery(t, editor, wid, appId, {
          ...base,
          name: `big_insert_${engine}`,
          body: { sql: "INSERT INTO bigs (id, name) VALUES ({{ id }}, 'inserted')" },
          params: [{ name: 'id', type: 'integer', required: true }],
        }),
        bigLimit: await createQuery(t, editor, wid, appId, {
          ...base,
          name: `big_limit_${engine}`,
          body: { sql: 'SELECT name FROM bigs ORDER BY name LIMIT {{ n }}' },
          params: [{ name: 'n', type: 'integer', required: true }],
        }),
        bigType: await createQuery(t, editor, wid, appId, {
          ...base,
          name: `big_type_${engine}`,
          body: { sql: BOUND_TYPE[engine] },
          params: [{ name: 'id', type: 'integer', required: true }],
        }),
      };
    }
    http = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        res.setHeader('content-type', 'application/json');
        // `huge` is a raw number token a double cannot hold (JSON.stringify cannot write one).
        res.end(
          JSON.stringify([
            { id: 1, echo: req.url, big: '9007199254740993' },
            { id: 2, echo: null },
          ]).replace('"big":', '"huge":9007199254740993,"big":'),
        );
      });
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const port = (http.address() as AddressInfo).port;
    restDs = await createRestDatasource(t, admin, wid, `http://127.0.0.1:${port}/api/v1`, bearer);
    restQuery = await createQuery(t, editor, wid, appId, {
      name: 'rest_find',
      datasourceId: restDs,
      body: {
        method: 'POST',
        path: '/users/{{ user }}/items',
        query: { q: '{{ search }}', fixed: 'yes' },
        headers: { 'X-Tag': '{{ tag }}' },
        body: { search: '{{ search }}', limit: '{{ limit }}', note: 'for {{ user }}' },
      },
      params: [
        { name: 'user', type: 'string', required: true },
        { name: 'search', type: 'string', required: true },
        { name: 'tag', type: 'string', required: false, default: 'none' },
        { name: 'limit', type: 'number', required: true },
      ],
    });
    restInteger = await createQuery(t, editor, wid, appId, {
      name: 'rest_integer',
      datasourceId: restDs,
      body: {
        method: 'POST',
        path: '/items/{{ id }}',
        query: { id: '{{ id }}' },
        body: { id: '{{ id }}', note: 'item {{ id }}' },
      },
      params: [{ name: 'id', type: 'integer', required: true }],
    });
    await publish(t, editor, wid, appId);
  }, 120_000);

  afterAll(async () => {
    await t?.close();
    for (const engine of ENGINES) await dbs[engine]?.close();
    http?.close();
    rmSync(sqliteDir, { recursive: true, force: true });
  });

  it('a viewer runs a published query: rows, columns, no-store', async () => {
    for (const engine of ENGINES) {
      const res = await runQuery(t, viewer, wid, appId, q[engine].find, {
        params: { name: 'bob' },
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      const body = res.json();
      expect(body.rows).toEqual([{ id: 2, name: 'bob' }]);
      expect(body.columns.map((c: { name: string }) => c.name)).toEqual(['id', 'name']);
      expect(body.rowCount).toBe(1);
      expect(body.truncated).toBe(false);
      expect(typeof body.durationMs).toBe('number');
    }
  });

  it('F6: injection values bound on all three engines match nothing and drop nothing', async () => {
    for (const engine of ENGINES) {
      for (const name of [
        "x' OR '1'='1",
        '1; DROP TABLE t; --',
        'a ? b $1',
        "'); DROP TABLE people; --",
      ]) {
        const res = await runQuery(t, viewer, wid, appId, q[engine].find, { params: { name } });
        expect(res.statusCode, res.body).toBe(200);
        expect(res.json().rows).toEqual([]);
      }
      expect(await dbs[engine].pool.schema.hasTable('t')).toBe(true);
      expect(await dbs[engine].pool.schema.hasTable('people')).toBe(true);
    }
  });

  it('parameters: unknown, missing and mistyped are 400s naming them; extra fields are 400', async () => {
    const id = q.postgres.find;
    const unknown = await runQuery(t, viewer, wid, appId, id, { params: { name: 'a', other: 1 } });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().message).toMatch(/Unknown parameters: other/);
    const missing = await runQuery(t, viewer, wid, appId, id, { params: {} });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().message).toMatch(/Missing parameters: name/);
    const wrong = await runQuery(t, viewer, wid, appId, id, { params: { name: 5 } });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().message).toMatch(/name \(expected string\)/);
    const withSql = await runQuery(t, viewer, wid, appId, id, {
      params: { name: 'a' },
      sql: 'DROP TABLE t',
    });
    expect(withSql.statusCode).toBe(400);
    expect(withSql.json().message).toMatch(/sql/);
  });

  it('F7: viewer cannot preview, run drafts, run unpublished queries or reach other workspaces', async () => {
    const preview = await call(
      t,
      viewer,
      'POST',
      `/api/workspaces/${wid}/datasources/${ds.postgres}/preview`,
      {
        query: { sql: 'SELECT 1' },
        params: {},
      },
    );
    expect(preview.statusCode).toBe(403);
    const draft = await runQuery(t, viewer, wid, appId, q.postgres.one, { params: {} }, true);
    expect(draft.statusCode).toBe(403);
    const unpublished = await createQuery(t, editor, wid, appId, {
      name: 'not_yet',
      datasourceId: ds.postgres,
      body: { sql: 'SELECT 2 AS two' },
    });
    const notPublished = await runQuery(t, viewer, wid, appId, unpublished, { params: {} });
    expect(notPublished.statusCode).toBe(403);
    // Editors may run the draft, and preview.
    const editorDraft = await runQuery(t, editor, wid, appId, unpublished, { params: {} }, true);
    expect(editorDraft.json().rows).toEqual([{ two: 2 }]);
    const editorPreview = await call(
      t,
      editor,
      'POST',
      `/api/workspaces/${wid}/datasources/${ds.postgres}/preview`,
      {
        query: { sql: 'SELECT {{ v }}::int + 1 AS n' },
        params: { v: 41 },
      },
    );
    expect(editorPreview.statusCode, editorPreview.body).toBe(200);
    expect(editorPreview.headers['cache-control']).toBe('no-store');
    expect(editorPreview.json().rows).toEqual([{ n: 42 }]);
    // NUL in the statement text is a 400 naming it (PostgreSQL would drop the connection).
    const nul = await call(
      t,
      editor,
      'POST',
      `/api/workspaces/${wid}/datasources/${ds.postgres}/preview`,
      {
        query: { sql: 'SELECT 1 -- \u0000' },
      },
    );
    expect(nul.statusCode, nul.body).toBe(400);
    expect(nul.json().message).toMatch(/NUL/);
    // Another workspace: its admin cannot run our queries, preview our datasources or save
    // a query on them; we cannot use theirs.
    const other = await otherWorkspace(t);
    expect((await runQuery(t, other, wid, appId, q.postgres.one)).statusCode).toBe(404);
    expect((await runQuery(t, other, other.workspaceId, appId, q.postgres.one)).statusCode).toBe(
      404,
    );
    const foreignPreview = await call(
      t,
      other,
      'POST',
      `/api/workspaces/${other.workspaceId}/datasources/${ds.postgres}/preview`,
      { query: { sql: 'SELECT 1' }, params: {} },
    );
    expect(foreignPreview.statusCode).toBe(404);
    const theirApp = await createApp(t, other, other.workspaceId, 'Theirs');
    const foreignQuery = await call(
      t,
      other,
      'POST',
      `/api/workspaces/${other.workspaceId}/apps/${theirApp}/queries`,
      {
        name: 'steal',
        datasourceId: ds.postgres,
        body: { sql: 'SELECT 1' },
      },
    );
    expect(foreignQuery.statusCode).toBe(404);
  });

  it('publishing freezes queries: editing the draft does not change what viewers run', async () => {
    const app = await createApp(t, editor, wid, 'Frozen');
    const id = await createQuery(t, editor, wid, app, {
      name: 'version',
      datasourceId: ds.sqlite,
      body: { sql: "SELECT 'v1' AS v" },
    });
    await publish(t, editor, wid, app);
    const patch = await call(
      t,
      editor,
      'PATCH',
      `/api/workspaces/${wid}/apps/${app}/queries/${id}`,
      {
        body: { sql: "SELECT 'v2' AS v" },
      },
    );
    expect(patch.statusCode, patch.body).toBe(200);
    expect((await runQuery(t, viewer, wid, app, id)).json().rows).toEqual([{ v: 'v1' }]);
    expect((await runQuery(t, editor, wid, app, id)).json().rows).toEqual([{ v: 'v1' }]);
    expect((await runQuery(t, editor, wid, app, id, { params: {} }, true)).json().rows).toEqual([
      { v: 'v2' },
    ]);
    // Deleting the draft keeps the published copy until the next publish.
    await call(t, editor, 'DELETE', `/api/workspaces/${wid}/apps/${app}/queries/${id}`);
    expect((await runQuery(t, viewer, wid, app, id)).json().rows).toEqual([{ v: 'v1' }]);
    await publish(t, editor, wid, app);
    expect((await runQuery(t, viewer, wid, app, id)).statusCode).toBe(404);
  });

  it('F9: a big result is cut at the cap while another client keeps getting answers', async () => {
    for (const engine of ENGINES) {
      let stop = false;
      const latencies: number[] = [];
      const prober = (async () => {
        while (!stop) {
          const t0 = Date.now();
          const res = await runQuery(t, viewer, wid, appId, q.postgres.one);
          expect(res.statusCode).toBe(200);
          latencies.push(Date.now() - t0);
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      const bigStarted = Date.now();
      const res = await runQuery(t, viewer, wid, appId, q[engine].big);
      noteTiming(`F9 the big run itself (${engine})`, Date.now() - bigStarted, 0);
      stop = true;
      await prober;
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json();
      expect(body.truncated).toBe(true);
      expect(body.rowCount).toBe(1000);
      expect(latencies.length).toBeGreaterThan(0);
      expectWithin(
        `F9 slowest other run during the big one (${engine})`,
        Math.max(...latencies),
        1_000,
      );
    }
    // The byte cap (QUERY_MAX_BYTES=2 MB) cuts a wide result before the row cap does.
    const wide = await call(
      t,
      editor,
      'POST',
      `/api/workspaces/${wid}/datasources/${ds.postgres}/preview`,
      {
        query: { sql: "SELECT g, repeat('y', 10000) AS pad FROM generate_series(1, 100000) g" },
        params: {},
      },
    );
    expect(wide.json().truncated).toBe(true);
    expect(wide.body.length).toBeLessThan(2_100_000);
  });

  it('F10: timeouts are enforced at the database; nothing stays running; other requests are not blocked', async () => {
    const pgActive = async () =>
      (
        await dbs.postgres.pool.raw<{ rows: { n: number }[] }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep(30)%' AND state = 'active' AND pid <> pg_backend_pid()",
        )
      ).rows[0].n;
    const mariaActive = async () => {
      const [maria] = (await dbs.mysql.pool.raw(
        "SELECT count(*) AS n FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND INFO LIKE '%SLEEP(30)%' AND INFO NOT LIKE '%PROCESSLIST%'",
      )) as [{ n: number }[]];
      return Number(maria[0].n);
    };
    const started = Date.now();
    let settled = 0;
    const slowRuns = ENGINES.flatMap((engine) =>
      [0, 1, 2].map(() =>
        runQuery(t, viewer, wid, appId, q[engine].slow).finally(() => (settled += 1)),
      ),
    );
    try {
      // Meanwhile other API requests answer promptly: probed once the sleeps run at both
      // servers (the three SQLite children burn CPU beside them), seconds before any slow run
      // can end (SLOW_TIMEOUT_MS).
      await pollUntil(
        'F10 slow runs in flight at PostgreSQL and MariaDB',
        async () => [await pgActive(), await mariaActive()],
        [3, 3],
        { timeoutMs: SLOW_TIMEOUT_MS - 500 },
      );
      const t0 = Date.now();
      const health = await t.app.inject({ method: 'GET', url: '/api/health' });
      const one = await runQuery(t, viewer, wid, appId, q.postgres.one);
      expect(health.statusCode).toBe(200);
      expect(one.statusCode).toBe(200);
      // Answered while every slow run is still waiting for its timeout: not queued behind them.
      expect(settled).toBe(0);
      expectWithin('F10 health + one run beside 9 slow runs', Date.now() - t0, 2_000);
    } finally {
      await Promise.allSettled(slowRuns);
    }
    const results = await Promise.all(slowRuns);
    for (const res of results) {
      expect(res.statusCode, res.body).toBe(504);
      expect(res.json().error).toBe('Gateway Timeout');
      // Domain timeouts speak to the user: the message names the limit.
      expect(res.json().message).toMatch(/\d+ ?ms/);
    }
    // Cut at their limit, far before the statements' own 30 s.
    expectWithin('F10 nine slow runs answered 504', Date.now() - started, 15_000);
    // The cancels land at the databases after the answers: polled, far inside the 30 s sleeps.
    await pollUntil('F10 pg_sleep(30) gone from pg_stat_activity', pgActive, 0, {
      timeoutMs: 10_000,
    });
    await pollUntil('F10 SLEEP(30) gone from PROCESSLIST', mariaActive, 0, { timeoutMs: 10_000 });
    for (const engine of ENGINES) {
      const t1 = Date.now();
      expect((await runQuery(t, viewer, wid, appId, q[engine].one)).json().rows).toEqual([
        { one: 1 },
      ]);
      expectWithin(`F10 one run after the timeouts (${engine})`, Date.now() - t1, 2_000);
    }
  });

  it('a datasource with its concurrency bound full answers 429 with a clear message', async () => {
    const runs = await Promise.all(
      [0, 1, 2, 3, 4].map(() => runQuery(t, viewer, wid, appId, q.postgres.slow)),
    );
    const codes = runs.map((r) => r.statusCode).sort();
    expect(codes).toEqual([429, 504, 504, 504, 504]);
    const refused = runs.find((r) => r.statusCode === 429)!;
    expect(refused.json().message).toMatch(/already has 4 queries running/);
    expect(refused.headers['retry-after']).toBe('1');
  });

  it('REST: templates path, query, headers and body per position; keeps to the base URL', async () => {
    received = [];
    const res = await runQuery(t, viewer, wid, appId, restQuery, {
      params: { user: 'a/b c', search: 'x&y=z "q"', limit: 5 },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().rows[0]).toMatchObject({ id: 1, big: '9007199254740993' });
    expect(received).toHaveLength(1);
    const got = received[0];
    expect(got.method).toBe('POST');
    expect(got.url).toBe('/api/v1/users/a%2Fb%20c/items?q=x%26y%3Dz+%22q%22&fixed=yes');
    expect(got.headers['x-tag']).toBe('none');
    expect(got.headers.authorization).toBe(`Bearer ${bearer}`);
    expect(JSON.parse(got.body)).toEqual({ search: 'x&y=z "q"', limit: 5, note: 'for a/b c' });
    for (const user of ['..', '.']) {
      const escape = await runQuery(t, viewer, wid, appId, restQuery, {
        params: { user, search: 's', limit: 1 },
      });
      expect(escape.statusCode).toBe(400);
    }
    const crlf = await runQuery(t, viewer, wid, appId, restQuery, {
      params: { user: 'u', search: 's', limit: 1, tag: 'a\r\nX-Evil: 1' },
    });
    expect(crlf.statusCode).toBe(400);
    expect(received).toHaveLength(1);
    expect(res.body).not.toContain(bearer);
  });

  it('integer parameters: 64-bit values bound exactly on PostgreSQL, MariaDB and SQLite', async () => {
    for (const engine of ENGINES) {
      for (const [id, name] of BIG_ROWS) {
        const res = await runQuery(t, viewer, wid, appId, q[engine].bigFind, { params: { id } });
        expect(res.statusCode, `${engine} ${id}: ${res.body}`).toBe(200);
        // Exactly that row: 9007199254740993 never selects ...992 (a double would hold both).
        expect(res.json().rows, `${engine} ${id}`).toEqual([{ id, name }]);
        // Round trip: a value read from a result (int8 as a string) goes back as a parameter.
        const again = await runQuery(t, viewer, wid, appId, q[engine].bigFind, {
          params: { id: (res.json().rows as { id: string }[])[0].id },
        });
        expect(again.json().rows, `${engine} ${id} again`).toEqual([{ id, name }]);
      }
      // A JSON number is taken while it is a safe integer.
      const small = await runQuery(t, viewer, wid, appId, q[engine].bigFind, { params: { id: 7 } });
      expect(small.statusCode, small.body).toBe(200);
      expect(small.json().rows).toEqual([]);
      // null is SQL NULL, as for every parameter type: it matches nothing.
      const nul = await runQuery(t, viewer, wid, appId, q[engine].bigFind, {
        params: { id: null },
      });
      expect(nul.statusCode, nul.body).toBe(200);
      expect(nul.json().rows).toEqual([]);
    }
    // Usable where the grammar wants an integer literal (a MariaDB cast would not be).
    for (const engine of ENGINES) {
      const res = await runQuery(t, viewer, wid, appId, q[engine].bigLimit, { params: { n: '2' } });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().rows, engine).toEqual([{ name: 'max' }, { name: 'min' }]);
    }
    // Stored exactly too.
    for (const engine of ENGINES) {
      const id = '9223372036854775806';
      const write = await runQuery(t, viewer, wid, appId, q[engine].bigInsert, { params: { id } });
      expect(write.statusCode, write.body).toBe(200);
      const read = await runQuery(t, viewer, wid, appId, q[engine].bigFind, { params: { id } });
      expect(read.json().rows, engine).toEqual([{ id, name: 'inserted' }]);
    }
    // Bound as the engine's 64-bit integer, not as text: arithmetic and types say so.
    const typed = async (engine: SqlEngine) => {
      const res = await runQuery(t, viewer, wid, appId, q[engine].bigType, {
        params: { id: '9007199254740993' },
      });
      expect(res.statusCode, res.body).toBe(200);
      return res.json().rows[0] as Record<string, unknown>;
    };
    expect(await typed('postgres')).toEqual({ t: 'bigint', next: '9007199254740994' });
    expect(await typed('sqlite')).toEqual({ t: 'integer', next: '9007199254740994' });
    expect(await typed('mysql')).toEqual({ v: '9007199254740993' });
  });

  it('integer parameters: anything but a 64-bit decimal integer is a 400 naming the parameter', async () => {
    for (const engine of ENGINES) {
      const url = `/api/workspaces/${wid}/apps/${appId}/queries/${q[engine].bigFind}/run`;
      for (const raw of [
        '"9223372036854775808"',
        '"-9223372036854775809"',
        '"1.5"',
        '"1e3"',
        '" 1"',
        '"0x10"',
        '"+1"',
        '"007"',
        '""',
        '1.5',
        '9007199254740992',
        '9007199254740993',
      ]) {
        const res = await postRaw(t, viewer, url, `{"params":{"id":${raw}}}`);
        expect(res.statusCode, `${engine} ${raw}: ${res.body}`).toBe(400);
        expect(res.json().message, `${engine} ${raw}`).toMatch(/^params\.id: /);
      }
      const bool = await runQuery(t, viewer, wid, appId, q[engine].bigFind, {
        params: { id: true },
      });
      expect(bool.statusCode).toBe(400);
      expect(bool.json().message).toMatch(/id \(expected integer\)/);
    }
  });

  it('number parameters: a number the body parse would change, or beyond ±(2^53 - 1), is a 400 naming it', async () => {
    const url = `/api/workspaces/${wid}/apps/${appId}/queries/${q.postgres.canary}/run`;
    for (const raw of ['9007199254740993', '9007199254740993.0', '-9007199254740993', '1e400']) {
      const res = await postRaw(t, viewer, url, `{"params":{"id":${raw}}}`);
      expect(res.statusCode, `${raw}: ${res.body}`).toBe(400);
      expect(res.json().message, raw).toMatch(/^params\.id: this number cannot be held exactly/);
      expect(res.json().message).not.toContain(raw);
    }
    // Held exactly but beyond the safe-integer range: ...992 may stand for ...993.
    for (const raw of ['9007199254740992', '-1e300']) {
      const res = await postRaw(t, viewer, url, `{"params":{"id":${raw}}}`);
      expect(res.statusCode, `${raw}: ${res.body}`).toBe(400);
      expect(res.json().message, raw).toMatch(/^params\.id: outside ±9007199254740991/);
    }
    const ok = await postRaw(t, viewer, url, '{"params":{"id":3.0}}');
    expect(ok.statusCode, ok.body).toBe(200);
    // The preview names the parameter too, and any other field of any body names its path.
    const preview = `/api/workspaces/${wid}/datasources/${ds.postgres}/preview`;
    const edge = await postRaw(
      t,
      editor,
      preview,
      '{"query":{"sql":"SELECT {{ n }}::int8 AS n"},"params":{"n":-9007199254740991}}',
    );
    expect(edge.statusCode, edge.body).toBe(200);
    expect(edge.json().rows).toEqual([{ n: '-9007199254740991' }]);
    const viaPreview = await postRaw(
      t,
      editor,
      preview,
      '{"query":{"sql":"SELECT {{ n }} AS n"},"params":{"n":12345678901234567890}}',
    );
    expect(viaPreview.statusCode, viaPreview.body).toBe(400);
    expect(viaPreview.json().message).toMatch(/^params\.n: /);
    const elsewhere = await postRaw(
      t,
      editor,
      preview,
      '{"query":{"sql":"SELECT 1"},"params":{},"maxRows":1e400}',
    );
    expect(elsewhere.statusCode, elsewhere.body).toBe(400);
    expect(elsewhere.json().message).toMatch(/^maxRows: /);
  });

  it('REST: an integer parameter reaches the URL as digits and the JSON body as an exact number; big numbers come back as digits', async () => {
    received = [];
    const res = await runQuery(t, viewer, wid, appId, restInteger, {
      params: { id: '9007199254740993' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(received).toHaveLength(1);
    expect(received[0].url).toBe('/api/v1/items/9007199254740993?id=9007199254740993');
    expect(received[0].body).toBe('{"id":9007199254740993,"note":"item 9007199254740993"}');
    // A number in the response that a double cannot hold comes back as its digits, a string.
    expect(res.json().rows[0]).toMatchObject({ id: 1, huge: '9007199254740993' });
  });

  it('maps database errors to clear messages with a correlation id and no addresses', async () => {
    const res = await call(
      t,
      editor,
      'POST',
      `/api/workspaces/${wid}/datasources/${ds.postgres}/preview`,
      {
        query: { sql: 'SELEC 1' },
        params: {},
      },
    );
    expect(res.statusCode).toBe(422);
    const body = res.json();
    expect(body.message).toMatch(/Syntax error at position 1/);
    expect(body.correlationId).toBeTruthy();
    const missing = await call(
      t,
      editor,
      'POST',
      `/api/workspaces/${wid}/datasources/${ds.mysql}/preview`,
      {
        query: { sql: 'SELECT * FROM nowhere' },
        params: {},
      },
    );
    expect(missing.statusCode).toBe(422);
    expect(missing.json().message).toMatch(/nowhere/);
    for (const r of [res, missing]) expect(r.body).not.toMatch(/127\.0\.0\.1|:\/\/|password/i);
  });

  it('canary: result and parameter values are kept nowhere (metadata database, logs, other responses)', async () => {
    for (const engine of ENGINES) {
      const res = await runQuery(t, viewer, wid, appId, q[engine].canary, {
        params: { id: 3, probe: CANARY_PARAM },
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.body).toContain(CANARY_RESULT);
      const pv = await call(
        t,
        editor,
        'POST',
        `/api/workspaces/${wid}/datasources/${ds[engine]}/preview`,
        {
          query: { sql: 'SELECT name FROM people WHERE name = {{ n }}' },
          params: { n: CANARY_RESULT },
        },
      );
      expect(pv.body).toContain(CANARY_RESULT);
    }
    const bad = await runQuery(t, viewer, wid, appId, q.postgres.canary, {
      params: { id: CANARY_PARAM },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).not.toContain(CANARY_PARAM);
    // Let the audit log flush its batch, then scan.
    await new Promise((r) => setTimeout(r, 800));
    for (const url of [
      `/api/workspaces/${wid}/apps`,
      `/api/workspaces/${wid}/apps/${appId}`,
      `/api/workspaces/${wid}/apps/${appId}/published`,
      `/api/workspaces/${wid}/audit-events`,
      `/api/workspaces/${wid}/datasources`,
    ]) {
      const res = await call(t, admin, 'GET', url);
      otherResponses.push(res.body);
    }
    const audit = otherResponses[3];
    expect(audit).toContain('query.run');
    const files = readdirSync(t.dataDir).filter((f) => f.startsWith('bastion.sqlite'));
    expect(files.length).toBeGreaterThan(0);
    const stored = files.map((f) => readFileSync(join(t.dataDir, f)).toString('latin1')).join('\n');
    for (const canary of [CANARY_RESULT, CANARY_PARAM, bearer]) {
      expect(stored).not.toContain(canary);
      expect(t.logs.join('\n')).not.toContain(canary);
      for (const body of otherResponses) expect(body).not.toContain(canary);
    }
  });
});
