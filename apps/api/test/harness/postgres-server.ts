import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from './free-port';

const PG_BIN = '/usr/lib/postgresql/15/bin';

export interface PostgresServer {
  /** Superuser URL with scram-sha-256 password auth. */
  url: string;
  port: number;
  password: string;
  /** Data directory of the throwaway cluster (tests that need TLS files write beside it). */
  dir: string;
  stop(): void;
}

function asPostgres(args: string[]): string[] {
  // initdb and pg_ctl refuse to run as root; run them as the postgres system user then.
  return process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--', ...args] : args;
}

/**
 * Starts a private PostgreSQL 15 cluster on a free port with password (scram-sha-256) auth,
 * so a wrong password really fails (the system cluster trusts everyone). ~1-2 s. Durability is
 * off (fsync, synchronous_commit) for speed unless `durable` (benchmarks that measure commits).
 */
export async function startPostgres(options: { durable?: boolean } = {}): Promise<PostgresServer> {
  const dir = mkdtempSync(join(tmpdir(), 'bastion-pg-'));
  const password = randomBytes(12).toString('hex');
  const port = await freePort();
  writeFileSync(join(dir, 'pw'), password);
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
    chownSync(join(dir, 'pw'), uid, gid);
  }
  const run = (args: string[]) => {
    const [cmd, ...rest] = asPostgres(args);
    execFileSync(cmd, rest, { stdio: 'pipe' });
  };
  run([
    `${PG_BIN}/initdb`,
    '-D',
    join(dir, 'data'),
    '-U',
    'postgres',
    '--auth-host=scram-sha-256',
    '--auth-local=scram-sha-256',
    `--pwfile=${join(dir, 'pw')}`,
    '-E',
    'UTF8',
    '--no-locale',
  ]);
  run([
    `${PG_BIN}/pg_ctl`,
    '-D',
    join(dir, 'data'),
    '-l',
    join(dir, 'log'),
    '-w',
    '-o',
    `-p ${port} -c listen_addresses=127.0.0.1${options.durable ? '' : ' -c fsync=off -c synchronous_commit=off -c full_page_writes=off'} -c unix_socket_directories=${dir} -c max_connections=200`,
    'start',
  ]);
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  return {
    url,
    port,
    password,
    dir,
    stop: () => {
      try {
        run([`${PG_BIN}/pg_ctl`, '-D', join(dir, 'data'), '-m', 'immediate', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Creates an empty database on the server behind `adminUrl`; returns its URL. */
export async function createPostgresDatabase(adminUrl: string, prefix = 't'): Promise<string> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
