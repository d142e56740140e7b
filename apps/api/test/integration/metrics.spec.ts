import { request as httpRequest } from 'node:http';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { call, setupOrReuse, type TestSession } from '../harness/auth-fixtures';
import { createPgUser, sqlConfigOf } from '../harness/datasource-fixtures';
import { freePort } from '../harness/free-port';
import { createPostgresDatabase } from '../harness/postgres-server';
import { createPublishedQuery, runQuery } from '../harness/query-fixtures';
import { createTestApp, type TestApp } from '../harness/test-app';

/**
 * `GET /metrics` (metrics/README.md): off by default, bearer token on the main listener, or a
 * separate `METRICS_PORT` listener; a scrape after runs holds the run, queue, pool, audit,
 * sign-in and process metrics and none of the canaries: a datasource's password and name, a
 * value a run returned, the user's email, the token itself.
 */
describe('metrics', () => {
  const token = `Metrics-Token-${randomBytes(12).toString('hex')}`;
  const secretCanary = `Canary-Secret-${randomBytes(6).toString('hex')}`;
  const valueCanary = `Canary-Value-${randomBytes(6).toString('hex')}`;
  const nameCanary = `Canary-Name-${randomBytes(6).toString('hex')}`;
  let t: TestApp;
  let admin: TestSession & { workspaceId: string };

  beforeAll(async () => {
    t = await createTestApp({ env: { EGRESS_ALLOW_LOOPBACK: 'true', METRICS_TOKEN: token } });
    admin = await setupOrReuse(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  const scrape = (authorization?: string) =>
    t.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: authorization ? { authorization } : {},
    });

  it('is off (404) by default', async () => {
    const off = await createTestApp();
    try {
      const res = await off.app.inject({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(404);
      expect(res.body).not.toContain('bastion_');
    } finally {
      await off.close();
    }
  });

  it('requires the bearer token', async () => {
    for (const header of [undefined, 'Bearer wrong-token-0123456789', token, `Basic ${token}`]) {
      const res = await scrape(header);
      expect(res.statusCode, String(header)).toBe(401);
      expect(res.body).not.toContain('bastion_query');
    }
    expect((await scrape(`Bearer ${token}`)).statusCode).toBe(200);
  });

  it('counts runs, sign-in failures, queue, pool, audit, process; no canary in any label', async () => {
    const adminUrl = inject('postgresAdminUrl');
    const dbUrl = new URL(await createPostgresDatabase(adminUrl, 'metrics'));
    const user = `metrics_${randomBytes(4).toString('hex')}`;
    await createPgUser(adminUrl, user, secretCanary);
    dbUrl.username = user;
    dbUrl.password = encodeURIComponent(secretCanary);
    const ds = await call(t, admin, 'POST', `/api/workspaces/${admin.workspaceId}/datasources`, {
      name: nameCanary,
      type: 'postgres',
      config: sqlConfigOf(dbUrl.toString()),
      secrets: { password: { value: secretCanary } },
    });
    expect(ds.statusCode, ds.body).toBe(201);
    const dsId = ds.json<{ id: string }>().id;
    const { appId, queryId } = await createPublishedQuery(t, admin, admin.workspaceId, dsId, {
      sql: `SELECT '${valueCanary}' AS v`,
    });
    const run = await runQuery(t, admin, admin.workspaceId, appId, queryId);
    expect(run.body).toContain(valueCanary);
    const preview = await call(
      t,
      admin,
      'POST',
      `/api/workspaces/${admin.workspaceId}/datasources/${dsId}/preview`,
      { query: { sql: `SELECT '${valueCanary}' AS v` }, params: {} },
    );
    expect(preview.statusCode, preview.body).toBe(200);
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: admin.email, password: `Wrong-${secretCanary}` },
    });
    expect(wrong.statusCode).toBe(401);

    const res = await scrape(`Bearer ${token}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.body;
    expect(text).toContain(
      'bastion_query_runs_total{datasource_type="postgres",outcome="ok",environment="production"} 1',
    );
    expect(text).toContain(
      'bastion_query_runs_total{datasource_type="postgres",outcome="ok",environment="draft"} 1',
    );
    expect(text).toMatch(
      /bastion_query_run_duration_seconds_bucket\{le="0\.005",datasource_type="postgres",environment="production"\}/,
    );
    expect(text).toContain('bastion_sign_in_failures_total{reason="invalid"} 1');
    expect(text).toMatch(/^bastion_query_queue_depth 0$/m);
    expect(text).toMatch(/^bastion_datasource_pool_connections\{state="free"\} \d+$/m);
    expect(text).toMatch(/^bastion_audit_pending_entries \d+$/m);
    expect(text).toMatch(/^bastion_audit_oldest_pending_age_seconds [\d.e-]+$/m);
    expect(text).toContain('process_resident_memory_bytes');
    for (const canary of [secretCanary, valueCanary, nameCanary, admin.email, token, dsId]) {
      expect(text.includes(canary), canary).toBe(false);
    }
  });

  it('METRICS_PORT: a separate listener without token; the main listener stays 404', async () => {
    const port = await freePort();
    const separate = await createTestApp({ env: { METRICS_PORT: String(port) } });
    try {
      expect((await separate.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(404);
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('bastion_query_queue_depth');
      expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
      // A DNS-rebinding page's name is refused like on the main listener (breaking session).
      const rebound = await new Promise<number>((resolve, reject) => {
        const req = httpRequest(
          { host: '127.0.0.1', port, path: '/metrics', headers: { host: 'evil.attacker.test' } },
          (r) => {
            r.resume();
            resolve(r.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(rebound).toBe(421);
    } finally {
      await separate.close();
    }
    // Closed with the app.
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });
});
