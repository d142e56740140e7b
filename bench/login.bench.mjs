// Login benchmark: latency of `POST /api/auth/login` under the argon2id parameters in use
// (m=19 MiB, t=2, p=1), throughput by concurrency, and when the sign-in limiter engages.
// Usage (after `pnpm build`): node bench/login.bench.mjs [loginsPerLevel=48]
// Boots the built API (apps/api/dist/main.js) twice on fresh SQLite data folders:
//   A) limits raised out of the way, to measure argon2 + session cost alone;
//   B) default limits (10 per account, 50 per address per 15 min), to see where 429 starts.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';

const PER_LEVEL = Number(process.argv[2] ?? 48);
const API_DIR = resolve(import.meta.dirname, '../apps/api');

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

async function startApi(env) {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'bastion-bench-'));
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: API_DIR,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 150; i++) {
    try {
      if ((await fetch(`${base}/api/health`)).status < 600) break;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    base,
    stop: () => {
      child.kill('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const post = (base, path, body, headers = {}) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

/** First-run setup, then `count` members with their own passwords. */
async function seedUsers(base, count) {
  const admin = { email: 'bench-admin@example.test', password: 'Bench-admin-passphrase-1' };
  const setup = await post(base, '/api/setup', { ...admin, workspaceName: 'Bench' });
  const { csrfToken, workspaceId } = await setup.json();
  const cookie = setup.headers.get('set-cookie').split(';')[0];
  const users = [];
  for (let i = 0; i < count; i++) {
    const u = { email: `bench-${i}@example.test`, password: `Bench-passphrase-${i}-xyz` };
    // Members join by invitation: the admin invites, the member accepts with their password.
    const invited = await post(
      base,
      `/api/workspaces/${workspaceId}/invitations`,
      { email: u.email, role: 'viewer' },
      { cookie, 'x-csrf-token': csrfToken },
    );
    if (invited.status !== 201) throw new Error(`invite failed: ${invited.status}`);
    const token = (await invited.json()).inviteUrl.split('/invite/')[1];
    const r = await post(base, `/api/invitations/${token}/accept`, { password: u.password });
    if (r.status !== 200) throw new Error(`seed failed: ${r.status} ${await r.text()}`);
    users.push(u);
  }
  return users;
}

const pct = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** `total` logins with `concurrency` in flight, round-robin over users. */
async function run(base, users, concurrency, total) {
  const latencies = [];
  const statuses = {};
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const u = users[i % users.length];
        const t0 = performance.now();
        const res = await post(base, '/api/auth/login', u);
        await res.arrayBuffer();
        latencies.push(performance.now() - t0);
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { p50: pct(latencies, 50), p95: pct(latencies, 95), perSecond: total / seconds, statuses };
}

/** Writes one line of the report (stdout; no console in linted code). */
const print = (line) => process.stdout.write(`${line}\n`);
const fmt = (ms) => `${ms.toFixed(0)} ms`;

print(`machine: ${cpus().length} × ${cpus()[0].model.trim()}, Node ${process.version}`);
{
  const api = await startApi({
    LOGIN_LIMIT_PER_ADDRESS: '100000',
    LOGIN_LIMIT_PER_ACCOUNT: '10000',
  });
  try {
    const users = await seedUsers(api.base, 16);
    await run(api.base, users, 2, 8); // warm-up
    print('\nA) limits out of the way');
    print('| concurrent logins | p50 | p95 | logins/s | statuses |');
    print('| ---: | ---: | ---: | ---: | --- |');
    for (const c of [1, 2, 4, 8, 16]) {
      const r = await run(api.base, users, c, PER_LEVEL);
      print(
        `| ${c} | ${fmt(r.p50)} | ${fmt(r.p95)} | ${r.perSecond.toFixed(1)} | ${JSON.stringify(r.statuses)} |`,
      );
    }
  } finally {
    api.stop();
  }
}
{
  const api = await startApi({});
  try {
    const users = await seedUsers(api.base, 20);
    // `seedUsers` used one setup request; each burst login comes from the same address.
    const r = await run(api.base, users, 20, 80);
    print('\nB) default limits, one address, 80 logins (20 in flight) over 20 accounts');
    print(`statuses: ${JSON.stringify(r.statuses)}; p50 ${fmt(r.p50)}, p95 ${fmt(r.p95)}`);
    const one = await run(api.base, [users[0]], 1, 1);
    print(`next login of an account after the burst: ${JSON.stringify(one.statuses)}`);
  } finally {
    api.stop();
  }
}
