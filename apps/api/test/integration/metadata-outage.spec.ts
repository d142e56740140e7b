import type { TAuditEvent, TAuditEventPage } from '@bastion/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditService } from '../../src/audit/audit.service';
import { QueryRunnerService } from '../../src/query-proxy/query-runner.service';
import { call, setupOrReuse, type TestSession } from '../harness/auth-fixtures';
import { createEngineDb, type EngineDb } from '../harness/query-engines';
import { createDatasourceFor } from '../harness/query-fixtures';
import {
  createPostgresDatabase,
  startPostgres,
  type PostgresServer,
} from '../harness/postgres-server';
import { createTestApp, type TestApp } from '../harness/test-app';
import { pollUntil } from '../harness/timing';
import { startCluster, stopCluster } from '../reliability/support/pg-control';

/**
 * Honest failure class (issue 20): the metadata store (a private PostgreSQL) stops while the
 * datasource (the run's PostgreSQL) stays up. Runs and every other request answer 503
 * `metadata_store_unavailable` with Retry-After, never 422 `datasource_unreachable` or 500; the
 * runs' audit entries say `metadata_store_unavailable` and are stored once the store is back
 * (the audit buffer retries).
 */
describe('metadata PostgreSQL down during runs', () => {
  let meta: PostgresServer;
  let t: TestApp;
  let pg: EngineDb;
  let admin: TestSession & { workspaceId: string };
  let dsId: string;

  beforeAll(async () => {
    meta = await startPostgres();
    const databaseUrl = await createPostgresDatabase(meta.url, 'outage');
    t = await createTestApp({
      env: { LOG_LEVEL: 'warn', DATABASE_URL: databaseUrl, EGRESS_ALLOW_LOOPBACK: 'true' },
    });
    admin = await setupOrReuse(t);
    pg = await createEngineDb('postgres');
    dsId = await createDatasourceFor(t, admin, admin.workspaceId, pg);
  });
  afterAll(async () => {
    await t?.close();
    await pg?.close();
    meta?.stop();
  });

  const preview = (session: TestSession | undefined) =>
    call(t, session, 'POST', `/api/workspaces/${admin.workspaceId}/datasources/${dsId}/preview`, {
      query: { sql: 'SELECT 1 AS one' },
      params: {},
    });

  it('answers 503 metadata_store_unavailable with Retry-After; audits it once the store is back', async () => {
    expect((await preview(admin)).statusCode).toBe(200);
    const runner = t.app.get(QueryRunnerService);
    const ctxFor = (correlationId: string) => ({
      actor: { userId: admin.userId, email: admin.email },
      meta: { ip: '127.0.0.1', userAgent: 'outage-test', correlationId },
    });
    let failedId = '';

    stopCluster(meta);
    try {
      // Runs reaching the runner: once the 1 s lookup cache expires, its lookups in the
      // metadata store fail (polled; 10 s deadline).
      let error: unknown;
      for (let i = 0, until = Date.now() + 10_000; !error && Date.now() < until; i++) {
        error = await runner
          .run({
            workspaceId: admin.workspaceId,
            datasourceId: dsId,
            body: { sql: 'SELECT 1 AS one' },
            paramSpecs: undefined,
            paramValues: {},
            audit: { context: ctxFor(`outage-run-${i}`), queryId: null, appId: null, draft: true },
          })
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        if (error) failedId = `outage-run-${i}`;
        else await new Promise((r) => setTimeout(r, 100));
      }
      expect(error).toMatchObject({ status: 503, code: 'metadata_store_unavailable' });
      // Over HTTP, wherever the request first meets the store (session, membership, lookup).
      for (const res of [await preview(admin), await call(t, admin, 'GET', '/api/me')]) {
        expect(res.statusCode, res.body).toBe(503);
        expect(res.headers['retry-after']).toBe('5');
        expect(res.json()).toMatchObject({
          statusCode: 503,
          code: 'metadata_store_unavailable',
          message: expect.stringMatching(/metadata database is unavailable/),
        });
      }
      // The buffered audit entry cannot be written yet.
      await expect(t.app.get(AuditService).flush()).rejects.toThrow();
    } finally {
      startCluster(meta);
    }

    // Back: the buffered entry is written, with the honest outcome.
    let entries: TAuditEvent[] = [];
    await pollUntil(
      'outage run audited after the restart',
      async () => {
        await t.app
          .get(AuditService)
          .flush()
          .catch(() => undefined);
        const res = await call(
          t,
          admin,
          'GET',
          `/api/workspaces/${admin.workspaceId}/audit-events?action=query.run&limit=500`,
        );
        if (res.statusCode !== 200) return false;
        entries = res.json<TAuditEventPage>().items;
        return entries.some((e) => e.correlationId === failedId);
      },
      true,
      { timeoutMs: 15_000, intervalMs: 200 },
    );
    const outcomes = entries.map((e) => e.details.outcome);
    expect(entries.find((e) => e.correlationId === failedId)?.details.outcome).toBe(
      'metadata_store_unavailable',
    );
    expect(outcomes).not.toContain('datasource_unreachable');
    expect((await preview(admin)).statusCode).toBe(200);
  });
});
