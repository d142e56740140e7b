import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../harness/free-port';
import { noteTiming } from '../../harness/timing';

/** The built API package (apps/api); the reliability suite runs the real build, as operators do. */
export const API_DIR = join(__dirname, '..', '..', '..');
const MAIN = join(API_DIR, 'dist', 'main.js');
const CLI = join(API_DIR, 'dist', 'cli', 'cli.js');

function assertBuilt(): void {
  if (!existsSync(MAIN) || !existsSync(CLI)) {
    throw new Error('apps/api/dist is missing: run `pnpm build` before `pnpm test:reliability`');
  }
}

export interface ApiProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  /** SIGKILL, no shutdown hooks: what a crash or an OOM kill does. */
  kill(): Promise<void>;
}

/**
 * Spawns `node dist/main.js` with `env` on a free port and waits for `/api/health` = 200.
 * @throws Error with the process output when it exits or is not ready within `readyMs`.
 */
export async function spawnApi(env: Record<string, string>, readyMs = 60_000): Promise<ApiProcess> {
  assertBuilt();
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    cwd: API_DIR,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + readyMs;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`API exited ${child.exitCode}: ${out.slice(-2000)}`);
    try {
      const res = await fetch(`${url}/api/health`);
      if (res.status === 200) {
        noteTiming('reliability: API spawn to healthy', Date.now() - (deadline - readyMs), readyMs);
        break;
      }
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`API not ready in ${readyMs} ms: ${out.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    child,
    output: () => out,
    kill: async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node dist/cli/cli.js <args>` with `env`. With `killWhen`, sends SIGKILL as soon as
 * the output so far matches it (the kill lands mid-command, at a known point).
 */
export function runCli(
  args: string[],
  env: Record<string, string>,
  killWhen?: RegExp,
): Promise<CliRun> {
  assertBuilt();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: API_DIR,
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (killWhen?.test(stdout) && child.exitCode === null) child.kill('SIGKILL');
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
