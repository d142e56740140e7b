import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { call, setupOrReuse } from '../harness/auth-fixtures';
import { createPgUser, sqlConfigOf } from '../harness/datasource-fixtures';
import { freePort } from '../harness/free-port';
import { createPostgresDatabase, startPostgres } from '../harness/postgres-server';
import { API_DIR, ensureProductionBundle, MAIN_JS } from '../harness/production-bundle';
import { createPublishedQuery } from '../harness/query-fixtures';
import { createTestApp } from '../harness/test-app';
import { noteTiming, pollUntil } from '../harness/timing';

/**
 * A rolling restart under load: two replicas of the built server (`node dist/main.js`) on one
 * PostgreSQL metadata store, behind a small round-robin HTTP proxy that routes only to replicas
 * whose `GET /api/health/ready` answers 200 (polled every 100 ms, like a load balancer's check)
 * and retries a request whose pooled connection was closed before any answer (what haproxy's
 * `retry-on conn-failure empty-response` does). Keep-alive clients run a published query while
 * each replica in turn gets SIGTERM, exits and is started again: no client may see an error.
 *
 * Heavier variant: `ROLLING_RESTART_HEAVY=1` (more clients, longer load, three rounds).
 */
const heavy = process.env.ROLLING_RESTART_HEAVY === '1';
const CLIENTS = heavy ? 50 : 8;
const ROUNDS = heavy ? 3 : 1;
/** Drain period of the replicas: 8x the proxy's 100 ms readiness poll plus its request. */
const DRAIN_MS = 800;
const READY_POLL_MS = 100;

interface Replica {
  url: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

const children = new Set<ChildProcess>();
const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  for (const c of cleanups.reverse()) await c();
});

async function startReplica(env: Record<string, string>): Promise<Replica> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN_JS], {
    cwd: API_DIR,
    env: { PATH: process.env.PATH ?? '', ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const started = Date.now();
  await pollUntil(
    'replica ready',
    async () => {
      if (child.exitCode !== null) throw new Error(`replica exited: ${out.slice(-2000)}`);
      const res = await fetch(`${url}/api/health/ready`).catch(() => null);
      return res?.status === 200;
    },
    true,
    { timeoutMs: 45_000, intervalMs: 50 },
  );
  noteTiming('rolling restart: spawn to ready', Date.now() - started, 45_000);
  return { url, child, output: () => out, exited };
}

interface Backend {
  url: string;
  ready: boolean;
}

/** The test's load balancer: round robin over ready backends, readiness polled. */
function startProxy(backends: Backend[]) {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const stats = { forwarded: 0, retried: 0, connectionClose: 0 };
  let next = 0;
  let polling = true;
  const poll = async () => {
    while (polling) {
      await Promise.all(
        backends.map(async (b) => {
          const url = b.url;
          const res = await fetch(`${url}/api/health/ready`, {
            signal: AbortSignal.timeout(1_000),
          }).catch(() => null);
          // The backend may have been replaced while we asked.
          if (b.url === url) b.ready = res?.status === 200;
        }),
      );
      await new Promise((r) => setTimeout(r, READY_POLL_MS));
    }
  };
  const poller = poll();
  const pick = (): Backend | undefined => {
    for (let i = 0; i < backends.length; i++) {
      const b = backends[(next + i) % backends.length];
      if (b.ready) {
        next = (next + i + 1) % backends.length;
        return b;
      }
    }
    return undefined;
  };
  const forward = (
    method: string,
    path: string,
    headers: Record<string, string | string[] | undefined>,
    body: Buffer,
    attempt: number,
  ): Promise<IncomingMessage> =>
    new Promise((resolve, reject) => {
      const backend = pick();
      if (!backend) {
        if (attempt > 40) return reject(new Error('no ready backend'));
        setTimeout(() => {
          forward(method, path, headers, body, attempt + 1).then(resolve, reject);
        }, 50);
        return;
      }
      const target = new URL(path, backend.url);
      const req = httpRequest(target, { method, headers, agent }, resolve);
      req.on('error', (error: NodeJS.ErrnoException) => {
        // A refused connection, or a pooled connection the server closed before answering:
        // nothing was processed, so another backend may take it (as load balancers do).
        const retryable =
          error.code === 'ECONNREFUSED' || (req.reusedSocket && error.code === 'ECONNRESET');
        if (retryable && attempt < 5) {
          stats.retried += 1;
          forward(method, path, headers, body, attempt + 1).then(resolve, reject);
        } else reject(error);
      });
      req.end(body);
    });
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = { ...req.headers };
      delete headers.connection;
      forward(req.method ?? 'GET', req.url ?? '/', headers, Buffer.concat(chunks), 0).then(
        (upstream) => {
          stats.forwarded += 1;
          if (upstream.headers.connection === 'close') stats.connectionClose += 1;
          const out = { ...upstream.headers };
          delete out.connection;
          delete out['keep-alive'];
          res.writeHead(upstream.statusCode ?? 502, out);
          upstream.pipe(res);
        },
        (error: Error) => {
          res.writeHead(502, { 'content-type': 'text/plain' });
          res.end(`proxy: ${error.message}`);
        },
      );
    });
  });
  return {
    stats,
    listen: () =>
      new Promise<string>((resolve) =>
        server.listen(0, '127.0.0.1', () =>
          resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
        ),
      ),
    close: async () => {
      polling = false;
      await poller;
      agent.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

describe('rolling restart of two replicas behind a load balancer', () => {
  let env: Record<string, string>;
  let runPath: string;
  let headers: Record<string, string>;
  const dataDir = mkdtempSync(join(tmpdir(), 'bastion-rolling-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));

  beforeAll(async () => {
    ensureProductionBundle();
    // The metadata store on a private server: the datasource (on the run's server) may not
    // be the platform's own metadata database (egress rule).
    const metadataServer = await startPostgres();
    cleanups.push(() => metadataServer.stop());
    const sharedDb = await createPostgresDatabase(metadataServer.url, 'rolling');
    const adminUrl = inject('postgresAdminUrl');
    const datasourceDb = await createPostgresDatabase(adminUrl, 'rollingds');
    env = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      DATA_DIR: dataDir,
      DATABASE_URL: sharedDb,
      VAULT_KEYS: `r1:${randomBytes(32).toString('base64')}`,
      EGRESS_ALLOW_LOOPBACK: 'true',
      SHUTDOWN_DRAIN_MS: String(DRAIN_MS),
    };
    // Set up through the API in process on the same store, then let the replicas serve it.
    const t = await createTestApp({ env });
    try {
      const admin = await setupOrReuse(t);
      const password = `Rolling-pw-${randomBytes(4).toString('hex')}`;
      const user = `rolling_${randomBytes(4).toString('hex')}`;
      await createPgUser(adminUrl, user, password);
      const dsUrl = new URL(datasourceDb);
      dsUrl.username = user;
      dsUrl.password = encodeURIComponent(password);
      const ds = await call(t, admin, 'POST', `/api/workspaces/${admin.workspaceId}/datasources`, {
        name: 'rolling',
        type: 'postgres',
        config: sqlConfigOf(dsUrl.toString()),
        secrets: { password: { value: password } },
      });
      expect(ds.statusCode, ds.body).toBe(201);
      const { appId, queryId } = await createPublishedQuery(
        t,
        admin,
        admin.workspaceId,
        ds.json<{ id: string }>().id,
        { sql: 'SELECT 1 AS one' },
      );
      runPath = `/api/workspaces/${admin.workspaceId}/apps/${appId}/queries/${queryId}/run`;
      headers = {
        'content-type': 'application/json',
        cookie: admin.cookie,
        'x-csrf-token': admin.csrfToken,
      };
    } finally {
      await t.close();
    }
  }, 120_000);

  // Measured 38-40 s (four spawns of the built server on a busy machine); 150 s limit.
  it(
    'answers every request while each replica drains and restarts (SIGTERM, exit 0)',
    {
      timeout: 150_000,
    },
    async () => {
      const replicas = await Promise.all([startReplica(env), startReplica(env)]);
      const backends: Backend[] = replicas.map((r) => ({ url: r.url, ready: true }));
      const proxy = startProxy(backends);
      cleanups.push(() => proxy.close());
      const proxyUrl = await proxy.listen();

      const clientAgent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
      cleanups.push(() => clientAgent.destroy());
      const failures: string[] = [];
      let ok = 0;
      let loading = true;
      cleanups.push(() => (loading = false));
      const runOnce = () =>
        new Promise<void>((resolve) => {
          const req = httpRequest(
            `${proxyUrl}${runPath}`,
            { method: 'POST', headers, agent: clientAgent },
            (res) => {
              let body = '';
              res.setEncoding('utf8');
              res.on('data', (c: string) => (body += c));
              res.on('end', () => {
                if (res.statusCode === 200) ok += 1;
                else failures.push(`${res.statusCode}: ${body.slice(0, 200)}`);
                resolve();
              });
            },
          );
          req.on('error', (e) => {
            failures.push(`client error: ${e.message}`);
            resolve();
          });
          req.end('{"params":{}}');
        });
      const clients = Array.from({ length: CLIENTS }, async () => {
        while (loading) await runOnce();
      });
      const okAfter = async (atLeast: number) => {
        const reached = () => ok >= atLeast || failures.length > 20;
        await pollUntil('runs answered', reached, true, { timeoutMs: 30_000 });
        expect(failures.slice(0, 5)).toEqual([]);
      };

      const exitCodes: (number | null)[] = [];
      const drainMs: number[] = [];
      await okAfter(50);
      for (let round = 0; round < ROUNDS; round++) {
        for (let i = 0; i < replicas.length; i++) {
          const before = ok;
          const stopping = replicas[i];
          const sent = Date.now();
          stopping.child.kill('SIGTERM');
          const code = await stopping.exited;
          drainMs.push(Date.now() - sent);
          exitCodes.push(code);
          expect(code, stopping.output().slice(-2000)).toBe(0);
          // The other replica carried the load meanwhile; now bring this one back.
          const fresh = await startReplica(env);
          replicas[i] = fresh;
          backends[i].ready = false;
          backends[i].url = fresh.url;
          await okAfter(before + 50);
        }
      }
      await okAfter(ok + 50);
      loading = false;
      await Promise.all(clients);
      for (const r of replicas) {
        r.child.kill('SIGTERM');
        await r.exited;
      }
      console.info(
        `rolling restart: ${ok} runs ok, ${failures.length} failed, proxy ${JSON.stringify(proxy.stats)}, ` +
          `SIGTERM to exit ${drainMs.join(', ')} ms (drain ${DRAIN_MS} ms), ${CLIENTS} clients`,
      );
      expect(failures.slice(0, 5)).toEqual([]);
      expect(exitCodes.every((c) => c === 0)).toBe(true);
      // The replicas told the keep-alive connections to close while draining.
      expect(proxy.stats.connectionClose).toBeGreaterThan(0);
      // Each replica kept answering for the drain period before it closed.
      for (const ms of drainMs) expect(ms).toBeGreaterThanOrEqual(DRAIN_MS);
    },
  );
});
