import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { SQLITE_FILE_NAME } from '../../src/database/data-source-options';
import { createPostgresDatabase, startPostgres } from '../harness/postgres-server';
import { noteTiming } from '../harness/timing';
import { runCli, spawnApi } from './support/api-process';

/**
 * "No answered run without its audit entry" (audit README, Durability): the built API runs a
 * published query for 30 concurrent clients, each request with its own correlation id; the
 * process is SIGKILLed mid-load; then every run that was answered 200 must have its `query.run`
 * entry in the store, and `audit verify` must pass. On SQLite and PostgreSQL metadata stores.
 *
 * `AUDIT_KILL_DURABILITY=buffered` runs the same test against the former behaviour (entries
 * batched every 500 ms after the answer): it fails, missing the last answered runs' entries.
 */
const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CLIENTS = 30;

async function api(
  base: string,
  session: { cookie: string; csrf: string } | null,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown>; cookie: string | null }> {
  const res = await fetch(base + path, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(session ? { cookie: session.cookie, 'x-csrf-token': session.csrf } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const cookie = res.headers.get('set-cookie')?.split(';')[0] ?? null;
  return { status: res.status, json: text ? (JSON.parse(text) as never) : {}, cookie };
}

describe.each(['sqlite', 'postgres'] as const)(
  'kill -9 under load (%s metadata store)',
  (store) => {
    it('loses no audit entry of an answered run, and the chain verifies', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'bastion-audit-kill-'));
      cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
      const adminUrl = inject('postgresAdminUrl');
      // A PostgreSQL metadata store on its own server: the platform's own database server is
      // never a datasource target, and the datasource lives on the run's server.
      let metaUrl: string | null = null;
      if (store === 'postgres') {
        const metaServer = await startPostgres();
        cleanups.push(() => metaServer.stop());
        metaUrl = await createPostgresDatabase(metaServer.url, 'meta');
      }
      const env: Record<string, string> = {
        DATA_DIR: dataDir,
        EGRESS_ALLOW_LOOPBACK: 'true',
        QUERY_MAX_CONCURRENT_PER_DATASOURCE: '64',
        AUDIT_RUN_DURABILITY: process.env.AUDIT_KILL_DURABILITY ?? 'committed',
        ...(metaUrl ? { DATABASE_URL: metaUrl } : {}),
      };
      const server = await spawnApi(env);
      cleanups.push(() => server.kill());
      const base = server.url;

      const setup = await api(base, null, 'POST', '/api/setup', {
        email: `kill-${randomUUID().slice(0, 8)}@example.test`,
        password: 'Kill-audit-password-0123',
        workspaceName: 'Kill',
      });
      expect(setup.status, JSON.stringify(setup.json)).toBe(201);
      const session = { cookie: setup.cookie!, csrf: setup.json.csrfToken as string };
      const wid = setup.json.workspaceId as string;
      // Its own database: the metadata store's own database is never a datasource target.
      const pg = new URL(await createPostgresDatabase(adminUrl, 'killds'));
      const ds = await api(base, session, 'POST', `/api/workspaces/${wid}/datasources`, {
        name: 'kill',
        type: 'postgres',
        config: {
          host: pg.hostname,
          port: Number(pg.port),
          database: pg.pathname.slice(1),
          user: decodeURIComponent(pg.username),
          tls: 'disable',
        },
        secrets: { password: { value: decodeURIComponent(pg.password) } },
      });
      expect(ds.status, JSON.stringify(ds.json)).toBe(201);
      const app = await api(base, session, 'POST', `/api/workspaces/${wid}/apps`, { name: 'Kill' });
      const appId = app.json.id as string;
      const query = await api(
        base,
        session,
        'POST',
        `/api/workspaces/${wid}/apps/${appId}/queries`,
        {
          name: 'one',
          datasourceId: ds.json.id,
          body: { sql: 'SELECT 1 AS one' },
        },
      );
      expect(query.status, JSON.stringify(query.json)).toBe(201);
      expect(
        (await api(base, session, 'POST', `/api/workspaces/${wid}/apps/${appId}/publish`, {}))
          .status,
      ).toBe(200);
      const runUrl = `${base}/api/workspaces/${wid}/apps/${appId}/queries/${query.json.id as string}/run`;

      // Load: CLIENTS loops; each request carries its own correlation id (stored in its entry).
      const answered: string[] = [];
      const otherStatuses: number[] = [];
      let running = true;
      const worker = async () => {
        while (running) {
          const correlationId = randomUUID();
          let res: Response;
          try {
            res = await fetch(runUrl, {
              method: 'POST',
              headers: {
                'content-type': 'application/json',
                cookie: session.cookie,
                'x-csrf-token': session.csrf,
                'x-correlation-id': correlationId,
              },
              body: '{"params":{}}',
            });
            await res.arrayBuffer();
          } catch {
            return; // the process died under this request: not answered
          }
          if (res.status === 200) answered.push(correlationId);
          else otherStatuses.push(res.status);
        }
      };
      const workers = Array.from({ length: CLIENTS }, worker);
      // Kill once the load is well under way (waited for, 20 s deadline; ~1 s measured).
      const started = Date.now();
      while (answered.length < 500 && Date.now() - started < 20_000) await sleep(20);
      noteTiming('audit kill: 500 runs answered', Date.now() - started, 20_000);
      await server.kill();
      running = false;
      await Promise.all(workers);
      expect(otherStatuses).toEqual([]);
      expect(answered.length).toBeGreaterThanOrEqual(500);

      // Open the store as it was left.
      let stored: string[];
      if (metaUrl) {
        const client = new Client({ connectionString: metaUrl });
        await client.connect();
        const r = await client.query<{ correlation_id: string }>(
          "SELECT correlation_id FROM audit_events WHERE action = 'query.run'",
        );
        await client.end();
        stored = r.rows.map((row) => row.correlation_id);
      } else {
        const db = new Database(join(dataDir, SQLITE_FILE_NAME), { readonly: true });
        stored = db
          .prepare<[], { correlation_id: string }>(
            "SELECT correlation_id FROM audit_events WHERE action = 'query.run'",
          )
          .all()
          .map((row) => row.correlation_id);
        db.close();
      }
      const have = new Set(stored);
      const missing = answered.filter((id) => !have.has(id));
      console.info(
        `audit kill (${store}): ${answered.length} runs answered 200 before SIGKILL, ` +
          `${stored.length} query.run entries stored, ${missing.length} answered runs without one`,
      );
      expect(missing).toEqual([]);

      const verify = await runCli(['audit', 'verify'], env);
      expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    });
  },
);
