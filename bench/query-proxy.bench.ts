/**
 * Query proxy benchmark (see bench/README.md, section "Query proxy").
 *
 * Run from apps/api (so the API's dependencies resolve):
 *   node -r @swc-node/register ../../bench/query-proxy.bench.ts [seconds=10] [connections=10]
 *
 * 1. Starts a private PostgreSQL 15 (or uses BENCH_POSTGRES_URL) with a one-row lookup table.
 * 2. Starts two servers, each in its own process, listening on loopback:
 *    - full: the whole API (sessions, CSRF, role guard, saved published query, vault-decrypted
 *      datasource, bound parameters, lossless encoding, audit) on a fresh SQLite metadata store;
 *    - bare: Fastify + pg.Pool doing the same SELECT, same pool size (DATASOURCE_POOL_MAX=5).
 * 3. Drives each with autocannon in a third process, alternating bare/full/bare/full, and
 *    reports requests/s and latency percentiles.
 * 4. In the full server (started with --max-old-space-size=512), runs a 5,000,000-row query
 *    that is cut at the caps and reports the server's peak RSS (VmHWM) and baseline.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const apiDir = resolve(__dirname, '../apps/api');
const requireApi = createRequire(join(apiDir, 'package.json'));
const POOL_SIZE = 5;
const QUERY = 'SELECT id, name FROM items WHERE id = {{ id }}';

interface Target {
  url: string;
  headers: Record<string, string>;
  body: string;
  method?: 'GET' | 'POST';
}

function log(...args: unknown[]): void {
  process.stderr.write(args.map(String).join(' ') + '\n');
}

// ---------------------------------------------------------------- server processes

async function runBare(pgUrl: string): Promise<void> {
  const fastify = requireApi(
    'fastify',
  ) as typeof import('../apps/api/node_modules/fastify').default;
  const { Pool } = requireApi('pg') as typeof import('../apps/api/node_modules/@types/pg');
  const pool = new Pool({ connectionString: pgUrl, max: POOL_SIZE });
  const app = fastify({ logger: false });
  app.post<{ Body: { params: { id: number } } }>('/run', async (req, reply) => {
    const started = performance.now();
    const r = await pool.query('SELECT id, name FROM items WHERE id = $1', [req.body.params.id]);
    void reply.header('cache-control', 'no-store');
    return {
      columns: r.fields.map((f) => ({ name: f.name, type: String(f.dataTypeID) })),
      rows: r.rows,
      rowCount: r.rowCount,
      truncated: false,
      durationMs: performance.now() - started,
    };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  // A clean exit, so that --cpu-prof (BENCH_BARE_NODE_ARGS) writes its profile.
  process.on('SIGTERM', () => process.exit(0));
  const port = (app.server.address() as { port: number }).port;
  process.send?.({
    ready: { url: `http://127.0.0.1:${port}/run`, headers: {}, body: '{"params":{"id":1}}' },
  });
}

async function runFull(pgUrl: string): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-qp-'));
  // BENCH_USE_DIST=1 runs the compiled build (`pnpm --filter @bastion/api build`), as in production.
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
    DATASOURCE_POOL_MAX: String(POOL_SIZE),
    // BENCH_MAX_CONCURRENT=10 measures the run queue at the default bound (bench/README.md).
    QUERY_MAX_CONCURRENT_PER_DATASOURCE: process.env.BENCH_MAX_CONCURRENT ?? '64',
    LOGIN_LIMIT_PER_ACCOUNT: '1000',
    LOGIN_LIMIT_PER_ADDRESS: '1000',
  });
  const devNull = { write: () => true } as unknown as NodeJS.WritableStream;
  const app = await createApp(config, { logStream: devNull as never });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  const password = 'Bench-password-0123456789';
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
    password,
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
    body: { sql: QUERY },
    params: [{ name: 'id', type: 'number', required: true }],
  });
  const big = await api('POST', `/api/workspaces/${wid}/apps/${appRes.id as string}/queries`, {
    name: 'big',
    datasourceId: ds.id,
    body: { sql: "SELECT g, repeat('x', 1000) AS pad FROM generate_series(1, 5000000) g" },
    timeoutMs: 120_000,
  });
  await api('POST', `/api/workspaces/${wid}/apps/${appRes.id as string}/publish`, {});
  const runPath = (id: unknown) =>
    `/api/workspaces/${wid}/apps/${appRes.id as string}/queries/${id as string}/run`;
  process.on('message', (msg: { big?: boolean }) => {
    if (!msg.big) return;
    void (async () => {
      const started = Date.now();
      const res = await fetch(base + runPath(big.id), {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrf },
        body: '{"params":{}}',
      });
      const body = (await res.json()) as { rowCount: number; truncated: boolean };
      process.send?.({
        big: {
          status: res.status,
          rowCount: body.rowCount,
          truncated: body.truncated,
          ms: Date.now() - started,
        },
      });
    })();
  });
  process.send?.({
    ready: {
      url: base + runPath(query.id),
      headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrf },
      body: '{"params":{"id":1}}',
    },
    // The same session, CSRF-free read behind the same role guard, with no datasource: the
    // framework floor (Nest, Fastify, security headers, session and membership lookups).
    floor: {
      url: `${base}/api/workspaces/${wid}/apps/${appRes.id as string}/published`,
      headers: { cookie },
      body: '',
      method: 'GET',
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

/**
 * How a server process runs this file. With BENCH_USE_DIST=1 it runs this file compiled to
 * plain JavaScript (TypeScript's transpileModule), as production runs plain JavaScript: under
 * `-r @swc-node/register` each server process also carried the TypeScript loader, about 88 MB
 * of RSS (measured: `node -e` 41 MB, with the loader 129 MB), which the big query's peak RSS
 * counted as the API's. Without it (src/ is TypeScript) the loader is needed.
 */
function serverEntry(): { args: string[]; cleanup: () => void } {
  if (!process.env.BENCH_USE_DIST) {
    return { args: ['-r', '@swc-node/register', __filename], cleanup: () => undefined };
  }
  const ts = requireApi('typescript') as typeof import('typescript');
  const js = ts.transpileModule(readFileSync(__filename, 'utf8'), {
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
    },
  }).outputText;
  // Next to this file, so that __dirname (and so apiDir) is the same.
  const file = join(__dirname, '.query-proxy.bench.server.cjs');
  writeFileSync(file, js);
  return { args: [file], cleanup: () => rmSync(file, { force: true }) };
}

let entry: ReturnType<typeof serverEntry> | undefined;

function startServer(
  mode: 'bare' | 'full',
  pgUrl: string,
  extraArgs: string[] = [],
): Promise<{ child: ChildProcess; target: Target; floor?: Target }> {
  const child = spawn(
    process.execPath,
    [...extraArgs, ...(entry ??= serverEntry()).args, mode, pgUrl],
    {
      cwd: apiDir,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  return new Promise((resolveReady, reject) => {
    child.on('message', (m: { ready?: Target; floor?: Target }) => {
      if (m.ready) resolveReady({ child, target: m.ready, floor: m.floor });
    });
    child.once('exit', (code) => reject(new Error(`${mode} server exited with ${code}`)));
  });
}

interface CannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p90: number; p99: number; average: number; max: number };
  errors: number;
  non2xx: number;
}

function cannon(target: Target, seconds: number, connections: number): CannonResult {
  const cli = requireApi.resolve('autocannon/autocannon.js');
  const args = [
    cli,
    '-c',
    String(connections),
    '-d',
    String(seconds),
    '-m',
    target.method ?? 'POST',
    '-j',
  ];
  if (target.body) args.push('-b', target.body);
  for (const [k, v] of Object.entries(target.headers)) args.push('-H', `${k}=${v}`);
  if (!target.headers['content-type'] && target.body)
    args.push('-H', 'content-type=application/json');
  args.push(target.url);
  const out = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (out.status !== 0) throw new Error(`autocannon failed: ${out.stderr}`);
  return JSON.parse(out.stdout) as CannonResult;
}

function vm(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 10);
  const connections = Number(process.argv[3] ?? 10);
  let stopPg: (() => void) | undefined;
  let pgUrl = process.env.BENCH_POSTGRES_URL;
  if (!pgUrl) {
    const { startPostgres } = await import('../apps/api/test/harness/postgres-server');
    const server = await startPostgres();
    stopPg = server.stop;
    pgUrl = server.url;
  }
  const { Client } = requireApi('pg') as typeof import('../apps/api/node_modules/@types/pg');
  const client = new Client({ connectionString: pgUrl });
  await client.connect();
  await client.query('DROP TABLE IF EXISTS items');
  await client.query('CREATE TABLE items (id int PRIMARY KEY, name text)');
  await client.query("INSERT INTO items VALUES (1, 'one')");
  await client.end();

  const bare = await startServer(
    'bare',
    pgUrl,
    process.env.BENCH_BARE_NODE_ARGS?.split(' ').filter(Boolean),
  );
  const full = await startServer('full', pgUrl, [
    '--max-old-space-size=512',
    // e.g. BENCH_FULL_NODE_ARGS="-r ./probe.js" to load a probe into the full server only.
    ...(process.env.BENCH_FULL_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
    ...(process.env.BENCH_CPU_PROFILE
      ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE}`]
      : []),
  ]).catch((error: unknown) => {
    bare.child.kill('SIGTERM');
    stopPg?.();
    throw error;
  });
  try {
    // Memory first, on the freshly booted server: a 5,000,000-row query cut at the caps.
    log('5,000,000-row query');
    const baseline = vm(full.child.pid!);
    // BENCH_BIG=0 skips it (to see its effect on the run rounds that follow).
    const big = await new Promise<{
      status: number;
      rowCount: number;
      truncated: boolean;
      ms: number;
    }>((res) => {
      full.child.on(
        'message',
        (m: { big?: { status: number; rowCount: number; truncated: boolean; ms: number } }) => {
          if (m.big) res(m.big);
        },
      );
      if (process.env.BENCH_BIG === '0') res({ status: 0, rowCount: 0, truncated: false, ms: 0 });
      else full.child.send({ big: true });
    });
    const after = vm(full.child.pid!);
    log('warm-up');
    cannon(bare.target, 2, connections);
    cannon(full.target, 2, connections);
    const rounds: { bare: CannonResult[]; full: CannonResult[]; floor: CannonResult[] } = {
      bare: [],
      full: [],
      floor: [],
    };
    for (let i = 0; i < 2; i++) {
      log(`round ${i + 1}: bare`);
      rounds.bare.push(cannon(bare.target, seconds, connections));
      log(`round ${i + 1}: full`);
      rounds.full.push(cannon(full.target, seconds, connections));
    }
    // BENCH_FLOOR=0 skips it, so a CPU profile of the full server covers run rounds only.
    if (process.env.BENCH_FLOOR !== '0') {
      log('floor: authenticated GET through the same stack, no datasource');
      rounds.floor.push(cannon(full.floor!, seconds, connections));
    }
    const summary = (rs: CannonResult[]) => ({
      rps: rs.reduce((s, r) => s + r.requests.average, 0) / rs.length,
      p50: Math.max(...rs.map((r) => r.latency.p50)),
      p90: Math.max(...rs.map((r) => r.latency.p90)),
      p99: Math.max(...rs.map((r) => r.latency.p99)),
      errors: rs.reduce((s, r) => s + r.errors + r.non2xx, 0),
    });
    const b = summary(rounds.bare);
    const f = summary(rounds.full);
    const floor = summary(rounds.floor);

    const result = {
      seconds,
      connections,
      poolSize: POOL_SIZE,
      bare: b,
      full: f,
      floor,
      ratio: { throughput: f.rps / b.rps, p99: f.p99 / Math.max(b.p99, 1) },
      bigQuery: { ...big, rssBeforeMb: baseline.rss, peakRssMb: after.hwm, rssAfterMb: after.rss },
    };
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  } finally {
    bare.child.kill('SIGTERM');
    full.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    entry?.cleanup();
    stopPg?.();
  }
}

const mode = process.argv[2];
// A server process ends with its orchestrator.
if (mode === 'bare' || mode === 'full') process.on('disconnect', () => process.exit(0));
if (mode === 'bare') void runBare(process.argv[3]);
else if (mode === 'full') void runFull(process.argv[3]);
else
  main().catch((error: unknown) => {
    log(error instanceof Error ? error.stack : String(error));
    process.exit(1);
  });
