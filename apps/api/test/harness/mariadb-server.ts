import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { freePort } from './free-port';
import { noteTiming } from './timing';

export interface MariaDbServer {
  /** URL of a user with a real password and all privileges. */
  url: string;
  port: number;
  user: string;
  password: string;
  stop(): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts a private MariaDB server on a free port (~3 s), then creates a user with a password
 * and every privilege, so tests exercise real password checks.
 */
export async function startMariaDb(): Promise<MariaDbServer> {
  const dir = mkdtempSync(join(tmpdir(), 'bastion-maria-'));
  const asRoot = process.getuid?.() === 0 ? ['--user=root'] : [];
  execFileSync(
    'mariadb-install-db',
    [
      '--no-defaults',
      `--datadir=${join(dir, 'data')}`,
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
      // A private tmpdir: servers started side by side must not share /tmp temp tables.
      `--tmpdir=${dir}`,
      ...asRoot,
    ],
    { stdio: 'pipe' },
  );
  const port = await freePort();
  const socketPath = join(dir, 's.sock');
  const child = spawn(
    'mariadbd',
    [
      '--no-defaults',
      `--datadir=${join(dir, 'data')}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--socket=${socketPath}`,
      `--pid-file=${join(dir, 'pid')}`,
      `--log-error=${join(dir, 'err.log')}`,
      '--skip-name-resolve',
      '--innodb-buffer-pool-size=64M',
      '--max-connections=300',
      `--tmpdir=${dir}`,
      ...asRoot,
    ],
    { stdio: 'ignore', detached: true },
  );
  child.unref();
  const user = 'bastion';
  const password = randomBytes(12).toString('hex');
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const conn = await createConnection({ socketPath, user: 'root' });
      await conn.query(`CREATE USER '${user}'@'%' IDENTIFIED BY '${password}'`);
      await conn.query(`GRANT ALL PRIVILEGES ON *.* TO '${user}'@'%' WITH GRANT OPTION`);
      await conn.end();
      noteTiming('MariaDB start-up (mariadbd accepts)', Date.now() - (deadline - 30_000), 30_000);
      break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(200);
    }
  }
  return {
    url: `mysql://${user}:${password}@127.0.0.1:${port}/`,
    port,
    user,
    password,
    stop: () => {
      try {
        if (child.pid) process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Creates an empty database on the server behind `adminUrl`; returns its URL. */
export async function createMariaDbDatabase(adminUrl: string, prefix = 't'): Promise<string> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const conn = await createConnection(adminUrl);
  try {
    await conn.query(`CREATE DATABASE ${name}`);
  } finally {
    await conn.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
