import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { PostgresServer } from '../../harness/postgres-server';

const PG_BIN = '/usr/lib/postgresql/15/bin';

function pgCtl(args: string[]): void {
  const cmd = [`${PG_BIN}/pg_ctl`, ...args];
  // pg_ctl refuses to run as root (see harness/postgres-server.ts).
  const full = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--', ...cmd] : cmd;
  execFileSync(full[0], full.slice(1), { stdio: 'pipe' });
}

/** Stops a harness cluster (`fast`: clients are disconnected, like a service restart). */
export function stopCluster(server: PostgresServer): void {
  pgCtl(['-D', join(server.dir, 'data'), '-m', 'fast', '-w', 'stop']);
}

/** Starts it again on the same port with the harness's settings; waits until it accepts. */
export function startCluster(server: PostgresServer): void {
  pgCtl([
    '-D',
    join(server.dir, 'data'),
    '-l',
    join(server.dir, 'log'),
    '-w',
    '-o',
    `-p ${server.port} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c unix_socket_directories=${server.dir} -c max_connections=200`,
    'start',
  ]);
}
