import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** A free TCP port on 127.0.0.1 (the OS picks it; closed again before use). */
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

export interface FreshServer {
  url: string;
  stop: () => Promise<void>;
}

/**
 * A second built stack of its own (the API serving the built web app) on an empty SQLite data
 * folder, for tests that need an instance nobody has set up yet; the shared one of
 * `global-setup.ts` is set up by the first test that needs an account. Ready when
 * `GET /api/health` answers (polled, 30 s deadline like the shared one's).
 */
export async function startFreshServer(): Promise<FreshServer> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'bastion-e2e-fresh-'));
  const child: ChildProcess = spawn(process.execPath, ['dist/main.js'], {
    cwd: resolve(__dirname, '../../apps/api'),
    env: {
      ...process.env,
      NODE_ENV: 'test',
      SERVE_WEB: 'true',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await fetch(`${url}/api/health`).catch(() => null);
    if (res?.status === 200) return { url, stop };
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`fresh API did not start (exit code ${child.exitCode})`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
