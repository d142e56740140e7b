import type { TAuditEvent, TAuditEventPage } from '@bastion/contracts';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditVerifyService } from '../../src/audit/audit-verify.service';
import { AuditService } from '../../src/audit/audit.service';
import { addMember, call, setupOrReuse, TestSession } from '../harness/auth-fixtures';
import { createEngineDb, EngineDb } from '../harness/query-engines';
import {
  createApp,
  createDatasourceFor,
  createQuery,
  createRestDatasource,
  publish,
  runQuery,
} from '../harness/query-fixtures';
import { createTestApp, TestApp } from '../harness/test-app';

/**
 * The audit entries of the other modules' actions (datasources, apps, query runs), end to end
 * through the API: exactly one entry per action with the right fields, and no planted secret,
 * parameter value or result value in any entry, export or log line.
 */
const CANARY_TOKEN = `Canary-Token-${randomBytes(6).toString('hex')}`;
const CANARY_TOKEN_2 = `Canary-Token2-${randomBytes(6).toString('hex')}`;
const CANARY_RESULT = `Canary-Result-${randomBytes(6).toString('hex')}`;
const CANARY_PARAM = `Canary-Param-${randomBytes(6).toString('hex')}`;

describe('audit entries of datasource, app and query actions', () => {
  let t: TestApp;
  let sqliteDir: string;
  let pg: EngineDb;
  let lite: EngineDb;
  let admin: TestSession & { workspaceId: string };
  let editor: TestSession;
  let viewer: TestSession;
  let wid: string;

  /** The entries of `action` newer than `after` (a sequence), oldest first. */
  async function entries(action: string, after = 0): Promise<TAuditEvent[]> {
    await t.app.get(AuditService).flush();
    const res = await call(
      t,
      admin,
      'GET',
      `/api/workspaces/${wid}/audit-events?action=${action}&limit=500`,
    );
    expect(res.statusCode).toBe(200);
    return res
      .json<TAuditEventPage>()
      .items.filter((e) => Number(e.sequence) > after)
      .reverse();
  }

  async function head(): Promise<number> {
    return Number((await t.app.get(AuditVerifyService).verify()).head.sequence);
  }

  beforeAll(async () => {
    sqliteDir = mkdtempSync(join(tmpdir(), 'bastion-audit-ds-'));
    t = await createTestApp({
      env: { EGRESS_ALLOW_LOOPBACK: 'true', SQLITE_DATASOURCE_DIR: sqliteDir },
    });
    admin = await setupOrReuse(t);
    wid = admin.workspaceId;
    editor = await addMember(t, admin, wid, 'editor');
    viewer = await addMember(t, admin, wid, 'viewer');
    pg = await createEngineDb('postgres');
    lite = await createEngineDb('sqlite', 1, join(sqliteDir, wid));
    await lite.pool.schema.createTable('people', (tb) => {
      tb.integer('id');
      tb.string('name');
    });
    await lite.pool('people').insert([
      { id: 1, name: 'alice' },
      { id: 2, name: CANARY_RESULT },
    ]);
  });
  afterAll(async () => {
    await pg?.close();
    await lite?.close();
    await t?.close();
    rmSync(sqliteDir, { recursive: true, force: true });
  });

  it('datasource created, updated (field names), secret replaced, deleted: one entry each', async () => {
    const start = await head();
    const id = await createDatasourceFor(t, admin, wid, pg, 'audited-pg');
    const created = await entries('datasource.created', start);
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({
      actor: { userId: admin.userId, email: admin.email },
      workspaceId: wid,
      target: { type: 'datasource', id },
      details: { name: 'audited-pg', type: 'postgres', secretFields: ['password'] },
    });

    const renamed = await call(t, admin, 'PATCH', `/api/workspaces/${wid}/datasources/${id}`, {
      name: 'audited-pg-2',
    });
    expect(renamed.statusCode, renamed.body).toBe(200);
    const updated = await entries('datasource.updated', start);
    expect(updated).toHaveLength(1);
    expect(updated[0]).toMatchObject({
      target: { type: 'datasource', id },
      correlationId: renamed.headers['x-correlation-id'],
      details: { changedFields: ['name'] },
    });
    expect(await entries('datasource.secret_replaced', start)).toHaveLength(0);

    const rest = await createRestDatasource(
      t,
      admin,
      wid,
      'https://api.example.test/v1',
      CANARY_TOKEN,
    );
    const replaced = await call(t, admin, 'PATCH', `/api/workspaces/${wid}/datasources/${rest}`, {
      secrets: { bearerToken: { value: CANARY_TOKEN_2 } },
    });
    expect(replaced.statusCode, replaced.body).toBe(200);
    const secretEntries = await entries('datasource.secret_replaced', start);
    expect(secretEntries).toHaveLength(1);
    expect(secretEntries[0]).toMatchObject({
      target: { type: 'datasource', id: rest },
      details: { replacedFields: ['bearerToken'] },
    });

    const del = await call(t, admin, 'DELETE', `/api/workspaces/${wid}/datasources/${rest}`);
    expect([200, 204]).toContain(del.statusCode);
    const deleted = await entries('datasource.deleted', start);
    expect(deleted).toHaveLength(1);
    expect(deleted[0]).toMatchObject({ target: { type: 'datasource', id: rest } });
  });

  it('app published and query runs: one entry each, with counts and never values', async () => {
    const start = await head();
    const ds = await createDatasourceFor(t, admin, wid, lite);
    const appId = await createApp(t, editor, wid, 'Audited');
    const queryId = await createQuery(t, editor, wid, appId, {
      name: 'find',
      datasourceId: ds,
      body: { sql: 'SELECT id, name FROM people WHERE name <> {{ name }}' },
      params: [{ name: 'name', type: 'string', required: true }],
    });
    await publish(t, editor, wid, appId);
    const published = await entries('app.published', start);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      actor: { userId: editor.userId, email: editor.email },
      target: { type: 'app', id: appId },
    });

    const run = await runQuery(t, viewer, wid, appId, queryId, { params: { name: CANARY_PARAM } });
    expect(run.statusCode, run.body).toBe(200);
    expect(run.body).toContain(CANARY_RESULT);
    const runs = await entries('query.run', start);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({
      actor: { userId: viewer.userId, email: viewer.email },
      workspaceId: wid,
      target: { type: 'query', id: queryId },
      correlationId: run.headers['x-correlation-id'],
      details: { rowCount: 2, truncated: false },
    });
    expect(typeof runs[0].details.durationMs).toBe('number');
    expect(runs[0].details.outcome).toBeTruthy();
  });

  it('no entry, export or log line holds a planted secret, parameter or result value', async () => {
    await t.app.get(AuditService).flush();
    const rows = await t.app.get(DataSource).query('SELECT * FROM audit_events');
    const csv = await call(t, admin, 'GET', `/api/workspaces/${wid}/audit-events?format=csv`);
    const jsonl = await call(t, admin, 'GET', `/api/workspaces/${wid}/audit-events?format=jsonl`);
    const pgPassword = decodeURIComponent(new URL(pg.url).password);
    const haystack = [JSON.stringify(rows), csv.body, jsonl.body, t.logs.join('\n')].join('\n');
    for (const planted of [CANARY_TOKEN, CANARY_TOKEN_2, CANARY_RESULT, CANARY_PARAM, pgPassword]) {
      expect(haystack).not.toContain(planted);
    }
    expect(haystack).not.toMatch(/Canary-/);
    expect((await t.app.get(AuditVerifyService).verify()).ok).toBe(true);
  });
});
