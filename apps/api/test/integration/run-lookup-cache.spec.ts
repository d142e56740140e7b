import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Writable } from 'node:stream';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp as createApiApp } from '../../src/app.factory';
import { RUN_LOOKUP_CACHE_TTL_MS } from '../../src/auth/short-lived-cache';
import { call, setupOrReuse, TestSession, workspaceRoles } from '../harness/auth-fixtures';
import { createEngineDb, EngineDb } from '../harness/query-engines';
import {
  createDatasourceFor,
  createPublishedQuery,
  publish,
  runQuery,
} from '../harness/query-fixtures';
import { createTestApp, MetadataStore, TestApp } from '../harness/test-app';

/**
 * The query proxy's cached run lookups (query-proxy/README.md): the published query and the
 * datasource row a viewer run reads are kept up to RUN_LOOKUP_CACHE_TTL_MS, yet a publish, an
 * app deletion and a datasource update or deletion take effect on the next run of this
 * replica, even right after a run warmed the cache; another replica follows within the TTL.
 */
async function twoDatabases(dir: string): Promise<[EngineDb, EngineDb]> {
  const dbs: EngineDb[] = [];
  for (const label of ['first', 'second']) {
    const db = await createEngineDb('sqlite', 1, dir);
    await db.pool.schema.createTable('place', (tb) => tb.string('label'));
    await db.pool('place').insert({ label });
    dbs.push(db);
  }
  return dbs as [EngineDb, EngineDb];
}

describe.each<MetadataStore>(['sqlite', 'postgres'])('run lookup cache (%s metadata)', (store) => {
  let t: TestApp;
  let dir: string;
  let dbs: [EngineDb, EngineDb];
  let admin: TestSession & { workspaceId: string };
  let editor: TestSession;
  let viewer: TestSession;
  let wid: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bastion-run-cache-'));
    t = await createTestApp({ store, env: { SQLITE_DATASOURCE_DIR: dir } });
    ({ admin, editor, viewer, wid } = await workspaceRoles(t));
    dbs = await twoDatabases(join(dir, wid));
  });
  afterAll(async () => {
    await t?.close();
    for (const db of dbs ?? []) await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A published app with one query on a fresh datasource (the first database). */
  const publishedQuery = async (sql = 'SELECT label FROM place') => {
    const ds = await createDatasourceFor(t, admin, wid, dbs[0]);
    const { appId, queryId } = await createPublishedQuery(t, editor, wid, ds, { sql });
    const run = () => runQuery(t, viewer, wid, appId, queryId);
    const expectRows = async (rows: unknown[]) => {
      const res = await run();
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json<{ rows: unknown[] }>().rows).toEqual(rows);
    };
    return { ds, appId, queryId, run, expectRows };
  };

  it('a publish takes effect on the next run, right after a run warmed the cache', async () => {
    const { appId, queryId, expectRows } = await publishedQuery("SELECT 'v1' AS v");
    await expectRows([{ v: 'v1' }]);
    const patch = await call(
      t,
      editor,
      'PATCH',
      `/api/workspaces/${wid}/apps/${appId}/queries/${queryId}`,
      {
        body: { sql: "SELECT 'v2' AS v" },
      },
    );
    expect(patch.statusCode, patch.body).toBe(200);
    await expectRows([{ v: 'v1' }]); // viewers keep the published version until a publish
    await publish(t, editor, wid, appId);
    await expectRows([{ v: 'v2' }]);
  });

  it('a datasource update takes effect on the next run', async () => {
    const { ds, expectRows } = await publishedQuery();
    await expectRows([{ label: 'first' }]);
    const res = await call(t, admin, 'PATCH', `/api/workspaces/${wid}/datasources/${ds}`, {
      config: { filename: basename(dbs[1].url) },
    });
    expect(res.statusCode, res.body).toBe(200);
    await expectRows([{ label: 'second' }]);
  });

  it('an app or datasource deletion ends its runs at once', async () => {
    const one = await publishedQuery();
    await one.expectRows([{ label: 'first' }]);
    const del = await call(t, editor, 'DELETE', `/api/workspaces/${wid}/apps/${one.appId}`);
    expect(del.statusCode, del.body).toBe(204);
    expect((await one.run()).statusCode).toBe(404);

    const two = await publishedQuery();
    await two.expectRows([{ label: 'first' }]);
    const gone = await call(t, admin, 'DELETE', `/api/workspaces/${wid}/datasources/${two.ds}`);
    expect(gone.statusCode, gone.body).toBe(204);
    expect((await two.run()).statusCode).toBe(404);
  });
});

describe('run lookup cache across two replicas on one PostgreSQL', () => {
  let t: TestApp;
  let second: NestFastifyApplication;
  let dir: string;
  let dbs: [EngineDb, EngineDb];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bastion-run-cache-'));
    t = await createTestApp({ store: 'postgres', env: { SQLITE_DATASOURCE_DIR: dir } });
    second = await createApiApp(t.config, {
      logStream: new Writable({ write: (_c, _e, cb) => cb() }),
    });
    dbs = await twoDatabases(join(dir, (await setupOrReuse(t)).workspaceId));
  });
  afterAll(async () => {
    await second?.close();
    await t?.close();
    for (const db of dbs ?? []) await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a publish on one replica reaches runs on the other within RUN_LOOKUP_CACHE_TTL_MS', async () => {
    const admin = await setupOrReuse(t);
    const wid = admin.workspaceId;
    const ds = await createDatasourceFor(t, admin, wid, dbs[0]);
    const { appId, queryId } = await createPublishedQuery(t, admin, wid, ds, {
      sql: "SELECT 'v1' AS v",
    });
    const onSecond = async () => {
      const res = await second.inject({
        method: 'POST',
        url: `/api/workspaces/${wid}/apps/${appId}/queries/${queryId}/run`,
        headers: {
          cookie: admin.cookie,
          'x-csrf-token': admin.csrfToken,
          'content-type': 'application/json',
        },
        payload: { params: {} },
      });
      expect(res.statusCode, res.body).toBe(200);
      return res.json<{ rows: { v: string }[] }>().rows[0].v;
    };
    expect(await onSecond()).toBe('v1');
    await call(t, admin, 'PATCH', `/api/workspaces/${wid}/apps/${appId}/queries/${queryId}`, {
      body: { sql: "SELECT 'v2' AS v" },
    });
    await publish(t, admin, wid, appId);
    await new Promise((r) => setTimeout(r, RUN_LOOKUP_CACHE_TTL_MS + 100));
    expect(await onSecond()).toBe('v2');
  });
});
