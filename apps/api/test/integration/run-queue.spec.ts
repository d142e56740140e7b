import type { TAuditEvent, TAuditEventPage } from '@bastion/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditService } from '../../src/audit/audit.service';
import { call, setupOrReuse, type TestSession } from '../harness/auth-fixtures';
import { createEngineDb, type EngineDb } from '../harness/query-engines';
import { createDatasourceFor, createPublishedQuery, runQuery } from '../harness/query-fixtures';
import { createTestApp, type TestApp } from '../harness/test-app';
import { pollUntil } from '../harness/timing';

/**
 * The run queue over HTTP (query-proxy/run-queue.ts; order, bound, timeout and client
 * departure are unit-tested in run-queue.spec.ts): one slot per datasource, two places in its
 * queue, a 500 ms wait. A run holds the slot for 3 s (6x the wait); two runs wait and are
 * refused at the wait limit; twenty more find the queue full. Every refusal is a 429 with
 * Retry-After, and the audit log gets aggregates (`query.run_refused` with a count), never an
 * entry per refusal.
 */
describe('run queue: 429 with Retry-After, aggregate audit', () => {
  let t: TestApp;
  let pg: EngineDb;
  let admin: TestSession & { workspaceId: string };
  let wid: string;
  let appId: string;
  let slowId: string;
  let fastApp: string;
  let fastId: string;
  let dsId: string;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        EGRESS_ALLOW_LOOPBACK: 'true',
        QUERY_MAX_CONCURRENT_PER_DATASOURCE: '1',
        QUERY_QUEUE_MAX: '2',
        QUERY_QUEUE_WAIT_MS: '500',
      },
    });
    admin = await setupOrReuse(t);
    wid = admin.workspaceId;
    pg = await createEngineDb('postgres');
    dsId = await createDatasourceFor(t, admin, wid, pg);
    const slow = await createPublishedQuery(t, admin, wid, dsId, {
      sql: 'SELECT pg_sleep(3) IS NULL AS slept',
    });
    appId = slow.appId;
    slowId = slow.queryId;
    const fast = await createPublishedQuery(t, admin, wid, dsId, { sql: 'SELECT 1 AS one' });
    fastApp = fast.appId;
    fastId = fast.queryId;
    // Pool warm, so the slow run takes the slot at once.
    expect((await runQuery(t, admin, wid, fastApp, fastId)).statusCode).toBe(200);
  });

  afterAll(async () => {
    await t?.close();
    await pg?.close();
  });

  async function entries(action: string): Promise<TAuditEvent[]> {
    await t.app.get(AuditService).flush();
    const res = await call(
      t,
      admin,
      'GET',
      `/api/workspaces/${wid}/audit-events?action=${action}&limit=500`,
    );
    expect(res.statusCode, res.body).toBe(200);
    return res.json<TAuditEventPage>().items;
  }

  it('queues, refuses past the bound and the wait with 429 + Retry-After, audits aggregates', async () => {
    const holder = runQuery(t, admin, wid, appId, slowId);
    // The holder takes the slot before anyone queues behind it.
    await pollUntil(
      'slow run started',
      async () => {
        const rows = await pg.pool.raw<{ rows: { n: number }[] }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE '%pg_sleep(3)%' AND state = 'active' AND pid <> pg_backend_pid()",
        );
        return rows.rows[0].n;
      },
      1,
      { timeoutMs: 10_000 },
    );
    // 22 runs behind it: two find a place in the queue and wait 500 ms; twenty find it full.
    const behind = await Promise.all(
      Array.from({ length: 22 }, () => runQuery(t, admin, wid, fastApp, fastId)),
    );
    const messages: string[] = [];
    for (const res of behind) {
      expect(res.statusCode, res.body).toBe(429);
      expect(res.headers['retry-after']).toBe('1');
      messages.push(res.json<{ message: string }>().message);
    }
    expect(messages.filter((m) => /2 more are waiting/.test(m))).toHaveLength(20);
    expect(messages.filter((m) => /none finished within 500 ms/.test(m))).toHaveLength(2);
    expect((await holder).statusCode).toBe(200);
    // Free again: a run goes straight through.
    expect((await runQuery(t, admin, wid, fastApp, fastId)).statusCode).toBe(200);

    // The 22 refusals: aggregates with counts (one per second per datasource at most), and no
    // query.run entry for any of them.
    let refused: TAuditEvent[] = [];
    await pollUntil(
      'aggregate refusal entries written',
      async () => {
        refused = await entries('query.run_refused');
        return refused.reduce((n, e) => n + Number(e.details.count), 0);
      },
      22,
      { timeoutMs: 10_000 },
    );
    expect(refused.length).toBeLessThanOrEqual(2);
    for (const e of refused) {
      expect(e).toMatchObject({ target: { type: 'datasource', id: dsId } });
      expect(e.details).toMatchObject({ datasourceId: dsId, windowMs: 1000 });
    }
    const runs = await entries('query.run');
    expect(runs.filter((e) => e.details.outcome === 'too_many_concurrent_runs')).toEqual([]);
  });
});
