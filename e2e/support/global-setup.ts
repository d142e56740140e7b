import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => res(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/**
 * Starts the built stack (API serving the built web app) on a fresh SQLite data folder and a
 * free port, unless E2E_BASE_URL names a running one. Returns the teardown.
 */
export default async function globalSetup(): Promise<() => void> {
  if (process.env.E2E_BASE_URL) return () => undefined;
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'bastion-e2e-'));
  const apiDir = resolve(__dirname, '../../apps/api');
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: apiDir,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      SERVE_WEB: 'true',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      // The editor journey connects to a private PostgreSQL on 127.0.0.1 and shows the egress notice.
      EGRESS_ALLOW_LOOPBACK: 'true',
      PUBLIC_EGRESS_IPS: '203.0.113.7',
      // Every journey signs the shared admin in through the API (support/accounts.ts): about 20
      // sign-ins in one run, over the default 10 per account per 15 min. The limiter itself is
      // tested in apps/api (auth-rate-limit.spec.ts).
      LOGIN_LIMIT_PER_ACCOUNT: '1000',
      LOGIN_LIMIT_PER_ADDRESS: '1000',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  process.env.E2E_BASE_URL = baseUrl;
  process.env.E2E_DATA_DIR = dataDir;
  const started = Date.now();
  const deadline = started + 30_000;
  for (;;) {
    try {
      const res = await fetch(`${baseUrl}/api/health`);
      if (res.status === 200 || res.status === 503) {
        if (process.env.E2E_TIMING_LOG) {
          console.log(
            `[timing] e2e API spawn to healthy: ${Date.now() - started} ms (limit 30000 ms)`,
          );
        }
        break;
      }
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null) throw new Error(`API exited with code ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error('API did not start within 30 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  return () => {
    child.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  };
}
