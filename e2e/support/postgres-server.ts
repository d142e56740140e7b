import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PG_BIN = '/usr/lib/postgresql/15/bin';

export interface E2ePostgres {
  host: string;
  port: number;
  user: string;
  /** The superuser password (scram-sha-256): a wrong one really fails. */
  password: string;
  /** Runs SQL as the superuser through psql; returns its unaligned output. */
  sql(statements: string, database?: string): string;
  stop(): void;
}

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

function asPostgres(args: string[]): string[] {
  // initdb and pg_ctl refuse to run as root; run them as the postgres system user then.
  return process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--', ...args] : args;
}

/**
 * A private PostgreSQL 15 cluster on a free port with password (scram-sha-256) auth, as in
 * apps/api/test/harness/postgres-server.ts; SQL goes through psql, so e2e needs no driver.
 * @param password the superuser password to set (e.g. a canary the test then scans for).
 */
export async function startPostgres(
  password = randomBytes(12).toString('hex'),
): Promise<E2ePostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'bastion-e2e-pg-'));
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
  const data = join(dir, 'data');
  run([
    `${PG_BIN}/initdb`,
    '-D',
    data,
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
    data,
    '-l',
    join(dir, 'log'),
    '-w',
    '-o',
    `-p ${port} -c listen_addresses=127.0.0.1 -c fsync=off -c unix_socket_directories=${dir}`,
    'start',
  ]);
  return {
    host: '127.0.0.1',
    port,
    user: 'postgres',
    password,
    sql: (statements, database = 'postgres') =>
      execFileSync(
        `${PG_BIN}/psql`,
        [
          '-h',
          '127.0.0.1',
          '-p',
          String(port),
          '-U',
          'postgres',
          '-d',
          database,
          '-v',
          'ON_ERROR_STOP=1',
          '-At',
          '-c',
          statements,
        ],
        { env: { ...process.env, PGPASSWORD: password }, stdio: 'pipe' },
      ).toString(),
    stop: () => {
      try {
        run([`${PG_BIN}/pg_ctl`, '-D', data, '-m', 'immediate', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
