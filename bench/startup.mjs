#!/usr/bin/env node
// Startup time of the built API on SQLite: from spawning `node apps/api/dist/main.js` on a
// fresh, empty data folder (migrations, generated vault key and canary included) to the
// first 200 from GET /api/health. Median of N runs (default 5). Target: < 3 s.
// Usage (from the repository root, after `pnpm build`): node bench/startup.mjs [runs] [--json]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const main = join(root, 'apps/api/dist/main.js');
const runs = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 5);
const asJson = process.argv.includes('--json');
const TARGET_MS = 3000;

if (!existsSync(main)) {
  process.stderr.write('apps/api/dist/main.js is missing: run `pnpm build` first\n');
  process.exit(2);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function once() {
  const dataDir = mkdtempSync(join(tmpdir(), 'bastion-startup-'));
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [main], {
    cwd: join(root, 'apps/api'),
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`API exited ${child.exitCode}: ${stderr}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/api/health`);
        if (res.status === 200) return performance.now() - started;
      } catch {
        // not listening yet
      }
      if (performance.now() - started > 30_000) throw new Error('not ready in 30 s');
      await new Promise((r) => setTimeout(r, 10));
    }
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const times = [];
for (let i = 0; i < runs; i++) times.push(await once());
const sorted = [...times].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)];
const result = {
  runs,
  medianMs: Math.round(median),
  minMs: Math.round(sorted[0]),
  maxMs: Math.round(sorted.at(-1)),
  targetMs: TARGET_MS,
  node: process.version,
  cpus: `${cpus().length} x ${cpus()[0]?.model ?? 'unknown'}`,
};
const print = (line) => process.stdout.write(`${line}\n`);
if (asJson) print(JSON.stringify(result));
else {
  print(`startup to first 200 /api/health (fresh SQLite data folder), ${runs} runs`);
  print(`runs (ms): ${times.map((t) => Math.round(t)).join(', ')}`);
  print(
    `median ${result.medianMs} ms, min ${result.minMs} ms, max ${result.maxMs} ms; target < ${TARGET_MS} ms`,
  );
}
process.exit(median < TARGET_MS ? 0 : 1);
