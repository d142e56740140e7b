import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  chownSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { startPostgres, PostgresServer } from './postgres-server';
import { noteTiming } from './timing';

const PG_BIN = '/usr/lib/postgresql/15/bin';

/** A private certificate authority made with the `openssl` CLI. */
export interface TestCa {
  dir: string;
  certPem: string;
  keyFile: string;
  certFile: string;
}

const openssl = (args: string[], cwd: string) =>
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });

/** Creates a self-signed CA (EC P-256, 1 day) in a new folder. */
export function createTestCa(name: string): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'bastion-ca-'));
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  return {
    dir,
    certPem: readFileSync(join(dir, 'ca.crt'), 'utf8'),
    keyFile: join(dir, 'ca.key'),
    certFile: join(dir, 'ca.crt'),
  };
}

/** Issues a server certificate signed by `ca` for the given subjectAltName entries. */
export function issueServerCert(ca: TestCa, altNames: string): { cert: string; key: string } {
  writeFileSync(
    join(ca.dir, 'ext.cnf'),
    `subjectAltName=${altNames}\nextendedKeyUsage=serverAuth\n`,
  );
  openssl(
    [
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
      '-subj',
      '/CN=bastion-test-db',
    ],
    ca.dir,
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.crt',
      '-days',
      '1',
      '-extfile',
      'ext.cnf',
    ],
    ca.dir,
  );
  return {
    cert: readFileSync(join(ca.dir, 'server.crt'), 'utf8'),
    key: readFileSync(join(ca.dir, 'server.key'), 'utf8'),
  };
}

/** Polls until a new connection to `url` negotiates TLS; throws after `timeoutMs`. */
async function waitForTls(url: string, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  for (;;) {
    const client = new Client({ connectionString: url, ssl: { rejectUnauthorized: false } });
    try {
      await client.connect();
      const { rows } = await client.query<{ ssl: boolean }>(
        'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()',
      );
      if (rows[0]?.ssl) {
        noteTiming('TLS PostgreSQL: reload applied', Date.now() - started, timeoutMs);
        return;
      }
    } catch (error) {
      // The server answers "does not support SSL" until the reload is applied.
      if (Date.now() > deadline) throw error;
    } finally {
      await client.end().catch(() => undefined);
    }
    if (Date.now() > deadline) throw new Error(`PostgreSQL did not turn TLS on in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface TlsPostgresServer extends PostgresServer {
  ca: TestCa;
}

/**
 * Starts a private PostgreSQL with `ssl=on` and a server certificate from a fresh private CA
 * valid for `altNames` (default `DNS:localhost` only, so connecting by 127.0.0.1 must fail
 * under verify-full). Password auth as in `startPostgres`.
 */
export async function startTlsPostgres(altNames = 'DNS:localhost'): Promise<TlsPostgresServer> {
  const server = await startPostgres();
  const ca = createTestCa('Bastion Test CA');
  const { cert, key } = issueServerCert(ca, altNames);
  const data = join(server.dir, 'data');
  writeFileSync(join(data, 'server.crt'), cert);
  writeFileSync(join(data, 'server.key'), key, { mode: 0o600 });
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(join(data, 'server.crt'), uid, gid);
    chownSync(join(data, 'server.key'), uid, gid);
  }
  appendFileSync(
    join(data, 'postgresql.conf'),
    "\nssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n",
  );
  const reload =
    process.getuid?.() === 0
      ? ['runuser', '-u', 'postgres', '--', `${PG_BIN}/pg_ctl`, '-D', data, 'reload']
      : [`${PG_BIN}/pg_ctl`, '-D', data, 'reload'];
  execFileSync(reload[0], reload.slice(1), { stdio: 'pipe' });
  // The postmaster applies a reload asynchronously (SIGHUP): wait until a new connection is
  // really encrypted rather than guessing how long that takes (~10-20 ms idle; 10 s deadline).
  await waitForTls(server.url);
  return {
    ...server,
    ca,
    stop: () => {
      server.stop();
      rmSync(ca.dir, { recursive: true, force: true });
    },
  };
}
