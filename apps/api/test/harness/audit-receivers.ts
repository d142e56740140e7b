import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeAuditHash } from '../../src/audit/audit-hash';
import type { ShippedAuditEntry } from '../../src/audit/shipping/audit-ship-format';
import { freePort } from './free-port';
import type { TestCa } from './tls-postgres-server';

/** Issues a client certificate (extendedKeyUsage clientAuth) signed by `ca`; returns file paths. */
export function issueClientCert(ca: TestCa, name: string): { certFile: string; keyFile: string } {
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: ca.dir, stdio: 'pipe' });
  writeFileSync(join(ca.dir, 'client-ext.cnf'), 'extendedKeyUsage=clientAuth\n');
  run(
    ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'].concat([
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${name}`,
    ]),
  );
  run(
    ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key'].concat([
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '1',
      '-extfile',
      'client-ext.cnf',
    ]),
  );
  return { certFile: join(ca.dir, `${name}.crt`), keyFile: join(ca.dir, `${name}.key`) };
}

/** A local HTTPS receiver of NDJSON batches (the audit HTTP sink's peer). */
export interface HttpsReceiver {
  port: number;
  entries: ShippedAuditEntry[];
  /** Authorization header of each request, and each request's content type. */
  authorizations: (string | undefined)[];
  contentTypes: (string | undefined)[];
  /** Stops listening and cuts open connections (an outage). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

/** Starts an HTTPS receiver on a free port with `cert`/`key`; answers 401 without `token`. */
export async function startHttpsReceiver(
  tls: { cert: string; key: string },
  token: string,
): Promise<HttpsReceiver> {
  const port = await freePort();
  const receiver: HttpsReceiver = {
    port,
    entries: [],
    authorizations: [],
    contentTypes: [],
    stop: () => Promise.resolve(),
    start: () => Promise.resolve(),
  };
  let server: Server | null = null;
  const sockets = new Set<Socket>();
  receiver.start = () =>
    new Promise((resolve) => {
      server = createServer(tls, (req, res) => {
        receiver.authorizations.push(req.headers.authorization);
        receiver.contentTypes.push(req.headers['content-type']);
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          if (req.headers.authorization !== `Bearer ${token}`) {
            res.writeHead(401).end();
            return;
          }
          for (const line of Buffer.concat(chunks).toString('utf8').split('\n')) {
            if (line) receiver.entries.push(JSON.parse(line) as ShippedAuditEntry);
          }
          res.writeHead(204).end();
        });
      });
      server.on('connection', (s: Socket) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
      });
      server.listen(port, '127.0.0.1', () => resolve());
    });
  receiver.stop = () =>
    new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      if (!server) return resolve();
      server.close(() => resolve());
      server = null;
    });
  await receiver.start();
  return receiver;
}

/** Debian's rsyslogd as a TLS syslog receiver (imtcp, gtls driver, client certificates). */
export interface RsyslogReceiver {
  port: number;
  /** Entries written to its output file so far, in arrival order. */
  entries(): ShippedAuditEntry[];
  /** Raw output lines (`APP-NAME MSGID MSG`). */
  lines(): string[];
  stop(): Promise<void>;
  start(): Promise<void>;
}

export const RSYSLOGD = '/usr/sbin/rsyslogd';

/**
 * Starts `rsyslogd -n` (foreground, a child of the test) with a private config and work dir on
 * a free port: RFC 5425 over TLS with the gtls driver, client certificates required
 * (`x509/certvalid`), each message written as `APP-NAME MSGID MSG` to a file.
 */
export async function startRsyslog(tls: {
  caFile: string;
  certFile: string;
  keyFile: string;
}): Promise<RsyslogReceiver> {
  const dir = mkdtempSync(join(tmpdir(), 'bastion-rsyslog-'));
  const port = await freePort();
  const out = join(dir, 'received.log');
  const conf = join(dir, 'rsyslog.conf');
  writeFileSync(
    conf,
    [
      `global(workDirectory="${dir}" maxMessageSize="64k"`,
      `  DefaultNetstreamDriver="gtls" DefaultNetstreamDriverCAFile="${tls.caFile}"`,
      `  DefaultNetstreamDriverCertFile="${tls.certFile}" DefaultNetstreamDriverKeyFile="${tls.keyFile}")`,
      'module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.AuthMode="x509/certvalid")',
      `input(type="imtcp" port="${port}" address="127.0.0.1")`,
      'template(name="entry" type="string" string="%app-name% %msgid% %msg%\\n")',
      `action(type="omfile" file="${out}" template="entry" flushOnTXEnd="on" asyncWriting="off")`,
      '',
    ].join('\n'),
  );
  let child: ChildProcess | null = null;
  let log = '';
  const lines = () =>
    existsSync(out)
      ? readFileSync(out, 'utf8')
          .split('\n')
          .filter((l) => l !== '')
      : [];
  const receiver: RsyslogReceiver = {
    port,
    lines,
    entries: () =>
      lines().map((line) => {
        const json = line.slice(line.indexOf('{'));
        return JSON.parse(json) as ShippedAuditEntry;
      }),
    start: async () => {
      child = spawn(RSYSLOGD, ['-n', '-f', conf, '-i', join(dir, 'rsyslogd.pid')], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
      // Ready when the port accepts connections (10 s deadline; ~0.2 s measured).
      const deadline = Date.now() + 10_000;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`rsyslogd exited: ${log}`);
        const open = await new Promise<boolean>((resolve) => {
          const s = connect(port, '127.0.0.1');
          s.once('connect', () => {
            s.destroy();
            resolve(true);
          });
          s.once('error', () => resolve(false));
        });
        if (open) return;
        if (Date.now() > deadline) throw new Error(`rsyslogd not listening: ${log}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    stop: async () => {
      const c = child;
      child = null;
      if (!c || c.exitCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await exited;
    },
  };
  await receiver.start();
  // No daemon outlives the test run.
  process.once('exit', () => {
    const c: ChildProcess | null = child;
    c?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  return receiver;
}

/**
 * Checks what a receiver got: first arrivals in sequence order with no gap from 1 to `head`
 * (duplicates allowed: at least once), each hash recomputed from the shipped fields, and each
 * `prevHash` equal to the previous entry's hash (the receiver verifies the chain).
 * @returns the number of duplicates
 */
export function verifyShipped(entries: ShippedAuditEntry[], head: number): number {
  const firsts: ShippedAuditEntry[] = [];
  const seen = new Set<number>();
  for (const e of entries) {
    if (seen.has(e.sequence)) continue;
    seen.add(e.sequence);
    firsts.push(e);
  }
  const problems: string[] = [];
  let prevHash = '0'.repeat(64);
  firsts.forEach((e, i) => {
    if (e.sequence !== i + 1)
      problems.push(`arrival ${i}: sequence ${e.sequence}, expected ${i + 1}`);
    if (e.prevHash !== prevHash) problems.push(`${e.sequence}: prevHash does not link`);
    const recomputed = computeAuditHash({ ...e, occurredAt: new Date(e.occurredAt) });
    if (recomputed !== e.hash) problems.push(`${e.sequence}: hash does not match its fields`);
    prevHash = e.hash;
  });
  if (firsts.length < head) problems.push(`only ${firsts.length} of ${head} entries arrived`);
  if (problems.length > 0) throw new Error(problems.slice(0, 10).join('; '));
  return entries.length - firsts.length;
}
