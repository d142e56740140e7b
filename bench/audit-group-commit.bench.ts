/**
 * Audit group-commit benchmark (see bench/README.md, section "Audit group commit").
 *
 * Run from apps/api (so the API's dependencies resolve):
 *   node -r @swc-node/register ../../bench/audit-group-commit.bench.ts [seconds=10] [clients=10,50]
 *
 * Starts two copies of the whole API in their own processes on the same datasource, differing
 * only in `AUDIT_RUN_DURABILITY`: `buffered` (the former behaviour: the run answers, its
 * `query.run` entry is written within 500 ms) and `committed` (the run answers after its entry
 * is committed, group commit). Drives each with autocannon, alternating buffered / committed,
 * `BENCH_ROUNDS` (default 4) interleaved rounds per client count, and prints the median
 * requests/s, the worst p50/p99 and the cost in percent (median committed vs median buffered;
 * on a loaded machine single rounds move by 10-20 %, the median of interleaved rounds less).
 * `BENCH_METADATA=postgres` puts both metadata stores on a private PostgreSQL (fsync on), else
 * each uses its own SQLite file (WAL). `BENCH_CPU_PROF=<dir>` writes a V8 CPU profile of each
 * server (`buffered.cpuprofile`, `committed.cpuprofile`) when the bench ends.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const apiDir = resolve(__dirname, '../apps/api');
const requireApi = createRequire(join(apiDir, 'package.json'));
type Mode = 'buffered' | 'committed';

interface Target {
  url: string;
  headers: Record<string, string>;
  body: string;
}

function log(...args: unknown[]): void {
  process.stderr.write(args.map(String).join(' ') + '\n');
}

// ---------------------------------------------------------------- server process

async function runServer(mode: Mode, pgUrl: string, metaUrl: string): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), `bench-audit-${mode}-`));
  const root = process.env.BENCH_USE_DIST ? join(apiDir, 'dist') : join(apiDir, 'src');
  const { loadAppConfig } = requireApi(
    join(root, 'config/app-config'),
  ) as typeof import('../apps/api/src/config/app-config');
  const { createApp } = requireApi(
    join(root, 'app.factory'),
  ) as typeof import('../apps/api/src/app.factory');
  const config = loadAppConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    EGRESS_ALLOW_LOOPBACK: 'true',
    DATASOURCE_POOL_MAX: '5',
    QUERY_MAX_CONCURRENT_PER_DATASOURCE: '256',
    AUDIT_RUN_DURABILITY: mode,
    // BENCH_SQLITE_SYNCHRONOUS=full measures SQLite with an fsync per commit.
    SQLITE_SYNCHRONOUS: process.env.BENCH_SQLITE_SYNCHRONOUS ?? 'normal',
    ...(metaUrl !== '-' ? { DATABASE_URL: metaUrl } : {}),
  });
  const devNull = { write: () => true } as unknown as NodeJS.WritableStream;
  const app = await createApp(config, { logStream: devNull as never });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  let cookie = '';
  let csrf = '';
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(base + path, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(cookie ? { cookie, 'x-csrf-token': csrf } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    const setCookie = res.headers.get('set-cookie');
    if (setCookie?.includes('bastion_session=')) cookie = setCookie.split(';')[0];
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };
  const setup = await api('POST', '/api/setup', {
    email: 'bench@example.test',
    password: 'Bench-password-0123456789',
    workspaceName: 'Bench',
  });
  csrf = setup.csrfToken as string;
  const wid = setup.workspaceId as string;
  const pg = new URL(pgUrl);
  const ds = await api('POST', `/api/workspaces/${wid}/datasources`, {
    name: 'bench',
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
  const appRes = await api('POST', `/api/workspaces/${wid}/apps`, { name: 'Bench' });
  const query = await api('POST', `/api/workspaces/${wid}/apps/${appRes.id as string}/queries`, {
    name: 'lookup',
    datasourceId: ds.id,
    body: { sql: 'SELECT id, name FROM items WHERE id = {{ id }}' },
    params: [{ name: 'id', type: 'number', required: true }],
  });
  await api('POST', `/api/workspaces/${wid}/apps/${appRes.id as string}/publish`, {});
  process.send?.({
    ready: {
      url: `${base}/api/workspaces/${wid}/apps/${appRes.id as string}/queries/${query.id as string}/run`,
      headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrf },
      body: '{"params":{"id":1}}',
    },
  });
  process.on('SIGTERM', () => {
    void app.close().then(() => {
      rmSync(dataDir, { recursive: true, force: true });
      process.exit(0);
    });
  });
}

// ---------------------------------------------------------------- orchestrator

function startServer(
  mode: Mode,
  pgUrl: string,
  metaUrl: string,
): Promise<{ child: ChildProcess; target: Target }> {
  const child = spawn(
    process.execPath,
    [
      // BENCH_CPU_PROF=<dir>: a V8 CPU profile of each server, written when it exits.
      ...(process.env.BENCH_CPU_PROF
        ? [
            '--cpu-prof',
            '--cpu-prof-dir',
            process.env.BENCH_CPU_PROF,
            '--cpu-prof-name',
            `${mode}.cpuprofile`,
          ]
        : []),
      '-r',
      '@swc-node/register',
      __filename,
      mode,
      pgUrl,
      metaUrl,
    ],
    { cwd: apiDir, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  return new Promise((resolveReady, reject) => {
    child.on('message', (m: { ready?: Target }) => {
      if (m.ready) resolveReady({ child, target: m.ready });
    });
    child.once('exit', (code) => reject(new Error(`${mode} server exited with ${code}`)));
  });
}

interface CannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p90: number; p99: number };
  errors: number;
  non2xx: number;
}

function cannon(target: Target, seconds: number, connections: number): CannonResult {
  const cli = requireApi.resolve('autocannon/autocannon.js');
  const args = [cli, '-c', String(connections), '-d', String(seconds), '-m', 'POST', '-j'];
  args.push('-b', target.body);
  for (const [k, v] of Object.entries(target.headers)) args.push('-H', `${k}=${v}`);
  args.push(target.url);
  const out = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (out.status !== 0) throw new Error(`autocannon failed: ${out.stderr}`);
  return JSON.parse(out.stdout) as CannonResult;
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 10);
  const clientCounts = (process.argv[3] ?? '10,50').split(',').map(Number);
  const roundCount = Number(process.env.BENCH_ROUNDS ?? 4);
  const { startPostgres, createPostgresDatabase } = await import(
    '../apps/api/test/harness/postgres-server'
  );
  const servers: { stop: () => void }[] = [];
  const dsServer = await startPostgres();
  servers.push(dsServer);
  const { Client } = requireApi('pg') as typeof import('../apps/api/node_modules/@types/pg');
  const client = new Client({ connectionString: dsServer.url });
  await client.connect();
  await client.query('CREATE TABLE items (id int PRIMARY KEY, name text)');
  await client.query("INSERT INTO items VALUES (1, 'one')");
  await client.end();
  // The metadata store must be another server than the datasource's (egress policy).
  let metaUrls: Record<Mode, string> = { buffered: '-', committed: '-' };
  if (process.env.BENCH_METADATA === 'postgres') {
    // fsync on: a commit is what this benchmark measures.
    const meta = await startPostgres({ durable: true });
    servers.push(meta);
    metaUrls = {
      buffered: await createPostgresDatabase(meta.url, 'bench_buffered'),
      committed: await createPostgresDatabase(meta.url, 'bench_committed'),
    };
  }
  const started: ChildProcess[] = [];
  try {
    const buffered = await startServer('buffered', dsServer.url, metaUrls.buffered);
    started.push(buffered.child);
    const committed = await startServer('committed', dsServer.url, metaUrls.committed);
    started.push(committed.child);
    log('warm-up');
    cannon(buffered.target, 2, 10);
    cannon(committed.target, 2, 10);
    const rows: Record<string, unknown>[] = [];
    for (const clients of clientCounts) {
      const rounds: Record<Mode, CannonResult[]> = { buffered: [], committed: [] };
      for (let i = 0; i < roundCount; i++) {
        // ABBA order: a drift in the machine's load hits both modes alike.
        const order = [
          ['buffered', buffered],
          ['committed', committed],
        ] as const;
        for (const [mode, server] of i % 2 === 0 ? order : [...order].reverse()) {
          const result = cannon(server.target, seconds, clients);
          rounds[mode].push(result);
          log(
            `${clients} clients, round ${i + 1}: ${mode} ${Math.round(result.requests.average)} req/s`,
          );
        }
      }
      const median = (xs: number[]) => {
        const sorted = [...xs].sort((a, b) => a - b);
        const mid = Math.floor(sorted.length / 2);
        return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
      };
      const summary = (rs: CannonResult[]) => ({
        rps: Math.round(median(rs.map((r) => r.requests.average))),
        rounds: rs.map((r) => Math.round(r.requests.average)),
        p50: Math.max(...rs.map((r) => r.latency.p50)),
        p99: Math.max(...rs.map((r) => r.latency.p99)),
        errors: rs.reduce((s, r) => s + r.errors + r.non2xx, 0),
      });
      const b = summary(rounds.buffered);
      const c = summary(rounds.committed);
      rows.push({
        clients,
        buffered: b,
        committed: c,
        costPercent: Math.round((1 - c.rps / b.rps) * 1000) / 10,
      });
    }
    process.stdout.write(
      JSON.stringify(
        { seconds, metadata: process.env.BENCH_METADATA ?? 'sqlite', results: rows },
        null,
        2,
      ) + '\n',
    );
  } finally {
    for (const child of started) child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    for (const s of servers) s.stop();
  }
}

const mode = process.argv[2];
if (mode === 'buffered' || mode === 'committed') {
  process.on('disconnect', () => process.exit(0));
  void runServer(mode, process.argv[3], process.argv[4]);
} else {
  main().catch((error: unknown) => {
    log(error instanceof Error ? error.stack : String(error));
    process.exit(1);
  });
}
