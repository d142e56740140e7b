import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditRepository } from '../../src/audit/audit.repository';
import { AuditService, SYSTEM_META } from '../../src/audit/audit.service';
import { AuditShipperService } from '../../src/audit/shipping/audit-shipper.service';
import { loadAppConfig } from '../../src/config/app-config';
import {
  issueClientCert,
  startHttpsReceiver,
  startRsyslog,
  verifyShipped,
} from '../harness/audit-receivers';
import { setupAdmin } from '../harness/auth-fixtures';
import { createTestApp, type TestApp } from '../harness/test-app';
import { expectWithin, pollUntil } from '../harness/timing';
import { createTestCa, issueServerCert } from '../harness/tls-postgres-server';

/**
 * Audit streaming to a SIEM (audit README, "Streaming to a SIEM"): a local HTTPS receiver and
 * Debian's rsyslogd (TLS, client certificates) get every entry, in order, with hashes they can
 * verify, also across a receiver outage and a restart of the API on the same store.
 */
const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** Appends `n` entries the fast way (no HTTP): the shipper does not care where they came from. */
async function appendEntries(t: TestApp, n: number, label: string): Promise<void> {
  const audit = t.app.get(AuditService);
  await Promise.all(
    Array.from({ length: n }, (_, i) =>
      audit.record({
        action: 'query.run',
        actor: null,
        workspaceId: null,
        meta: { ...SYSTEM_META, correlationId: `${label}-${i}` },
        details: { outcome: 'ok', rowCount: i },
      }),
    ),
  );
}

const head = async (t: TestApp) => (await t.app.get(AuditRepository).readHead()).lastSequence;

describe.each(['sqlite', 'postgres'] as const)(
  'audit streaming to an HTTPS receiver (NDJSON, %s store)',
  (store) => {
    it('ships every entry in near real time with the bearer token; an outage and an API restart lose nothing', async () => {
      const ca = createTestCa('Audit receiver CA');
      cleanups.push(() => rmSync(ca.dir, { recursive: true, force: true }));
      const token = `siem-canary-${Math.random().toString(36).slice(2)}`;
      const receiver = await startHttpsReceiver(issueServerCert(ca, 'DNS:localhost'), token);
      cleanups.push(() => receiver.stop());
      const dataDir = mkdtempSync(join(tmpdir(), 'bastion-ship-'));
      cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
      const env = {
        DATA_DIR: dataDir,
        LOG_LEVEL: 'info',
        AUDIT_HTTP_URL: `https://localhost:${receiver.port}/ingest`,
        AUDIT_HTTP_TOKEN: token,
        AUDIT_HTTP_CA_FILE: ca.certFile,
      };
      let t = await createTestApp({ store, env });
      // The restarted API opens the same store.
      if (t.databaseUrl) Object.assign(env, { DATABASE_URL: t.databaseUrl });
      const logs: string[] = [];
      try {
        await setupAdmin(t);
        await appendEntries(t, 50, 'first');
        // Near real time: the newest entry arrives well within 2 s (~tens of ms measured).
        const committed = Date.now();
        await appendEntries(t, 1, 'latest');
        const latest = await head(t);
        await pollUntil(
          'latest entry shipped',
          () => receiver.entries.some((e) => e.sequence === latest),
          true,
          { timeoutMs: 6_000 },
        );
        expectWithin('HTTPS sink: commit to receiver', Date.now() - committed, 2_000);
        expect(new Set(receiver.authorizations)).toEqual(new Set([`Bearer ${token}`]));
        expect(receiver.contentTypes[0]).toBe('application/x-ndjson');

        // Receiver outage: entries written meanwhile arrive after it is back, in order.
        await receiver.stop();
        await appendEntries(t, 120, 'outage');
        // The shipper notices and backs off (its warning names no token).
        await pollUntil(
          'failure noticed',
          () => t.app.get(AuditShipperService).status()[0].failures > 0,
          true,
          { timeoutMs: 6_000 },
        );
        await receiver.start();
        const afterOutage = await head(t);
        await pollUntil(
          'outage entries shipped',
          () => receiver.entries.some((e) => e.sequence === afterOutage),
          true,
          { timeoutMs: 15_000 },
        );

        // API restart while the receiver is down: the next process resumes from the stored cursor.
        await receiver.stop();
        await appendEntries(t, 30, 'before-restart');
        logs.push(...t.logs);
        await t.app.close();
        t = await createTestApp({ env });
        await appendEntries(t, 30, 'after-restart');
        await receiver.start();
        const final = await head(t);
        await pollUntil(
          'entries across the restart shipped',
          () => receiver.entries.some((e) => e.sequence === final),
          true,
          { timeoutMs: 15_000 },
        );
        const duplicates = verifyShipped(receiver.entries, final);
        console.info(`HTTPS sink: ${final} entries shipped in order, ${duplicates} duplicates`);
        // The cursor is stored once the batch is acknowledged.
        await pollUntil(
          'cursor stored',
          () => t.app.get(AuditShipperService).status()[0].deliveredThrough,
          final,
          { timeoutMs: 6_000 },
        );
        logs.push(...t.logs);
        expect(logs.some((l) => l.includes('shipping failed'))).toBe(true);
        expect(logs.filter((l) => l.includes(token))).toEqual([]);
      } finally {
        await t.app.close();
      }
    });
  },
);

describe('audit streaming from two replicas', () => {
  it('one replica ships per sink (lease); entries of both arrive once each, in order', async () => {
    const ca = createTestCa('Audit receiver CA');
    cleanups.push(() => rmSync(ca.dir, { recursive: true, force: true }));
    const token = 'two-replicas-token';
    const receiver = await startHttpsReceiver(issueServerCert(ca, 'DNS:localhost'), token);
    cleanups.push(() => receiver.stop());
    const env = {
      LOG_LEVEL: 'warn',
      AUDIT_HTTP_URL: `https://localhost:${receiver.port}/ingest`,
      AUDIT_HTTP_TOKEN: token,
      AUDIT_HTTP_CA_FILE: ca.certFile,
      VAULT_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
    };
    const a = await createTestApp({ store: 'postgres', env });
    const b = await createTestApp({ env: { ...env, DATABASE_URL: a.databaseUrl! } });
    try {
      await setupAdmin(a);
      await Promise.all([appendEntries(a, 100, 'a'), appendEntries(b, 100, 'b')]);
      const final = await head(a);
      await pollUntil(
        'both replicas entries shipped',
        () => receiver.entries.some((e) => e.sequence === final),
        true,
        { timeoutMs: 10_000 },
      );
      const active = [a, b].map((t) => t.app.get(AuditShipperService).status()[0].active);
      expect(active.filter(Boolean)).toHaveLength(1);
      expect(verifyShipped(receiver.entries, final)).toBe(0);
    } finally {
      await b.close();
      await a.close();
    }
  });
});

describe('audit streaming to rsyslog over TLS (RFC 5424 / RFC 5425)', () => {
  it('rsyslogd receives every entry with a client certificate; an outage and an API restart lose nothing', async () => {
    const ca = createTestCa('Syslog CA');
    cleanups.push(() => rmSync(ca.dir, { recursive: true, force: true }));
    const server = issueServerCert(ca, 'DNS:localhost,IP:127.0.0.1');
    const serverCert = join(ca.dir, 'rsyslog.crt');
    const serverKey = join(ca.dir, 'rsyslog.key');
    writeFileSync(serverCert, server.cert);
    writeFileSync(serverKey, server.key);
    const client = issueClientCert(ca, 'bastion-shipper');
    const rsyslog = await startRsyslog({
      caFile: ca.certFile,
      certFile: serverCert,
      keyFile: serverKey,
    });
    cleanups.push(() => rsyslog.stop());
    const dataDir = mkdtempSync(join(tmpdir(), 'bastion-ship-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const env = {
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      AUDIT_SYSLOG_URL: `tls://localhost:${rsyslog.port}`,
      AUDIT_SYSLOG_CA_FILE: ca.certFile,
      AUDIT_SYSLOG_CERT_FILE: client.certFile,
      AUDIT_SYSLOG_KEY_FILE: client.keyFile,
    };
    let t = await createTestApp({ env });
    try {
      await setupAdmin(t);
      await appendEntries(t, 50, 'first');
      const committed = Date.now();
      await appendEntries(t, 1, 'latest');
      const latest = await head(t);
      await pollUntil(
        'latest entry in rsyslog',
        () => rsyslog.entries().some((e) => e.sequence === latest),
        true,
        { timeoutMs: 6_000 },
      );
      expectWithin('syslog sink: commit to rsyslog file', Date.now() - committed, 2_000);
      const line = rsyslog.lines()[0];
      // APP-NAME and MSGID (the action) as rsyslog parsed them from the RFC 5424 header.
      const first = rsyslog.entries()[0];
      expect(line.startsWith(`bastion ${first.action} `), line).toBe(true);

      // Outage: rsyslogd stops; entries written meanwhile arrive after it is back, in order.
      await rsyslog.stop();
      await appendEntries(t, 120, 'outage');
      await pollUntil(
        'failure noticed',
        () => t.app.get(AuditShipperService).status()[0].failures > 0,
        true,
        { timeoutMs: 8_000 },
      );
      await rsyslog.start();
      const afterOutage = await head(t);
      await pollUntil(
        'outage entries in rsyslog',
        () => rsyslog.entries().some((e) => e.sequence === afterOutage),
        true,
        { timeoutMs: 20_000 },
      );

      // API restart with rsyslogd down: the next process resumes from the stored cursor.
      await rsyslog.stop();
      await appendEntries(t, 30, 'before-restart');
      await t.app.close();
      t = await createTestApp({ env });
      await appendEntries(t, 30, 'after-restart');
      await rsyslog.start();
      const final = await head(t);
      await pollUntil(
        'entries across the restart in rsyslog',
        () => rsyslog.entries().some((e) => e.sequence === final),
        true,
        { timeoutMs: 20_000 },
      );
      const duplicates = verifyShipped(rsyslog.entries(), final);
      console.info(
        `syslog sink: ${final} entries received by rsyslogd in order, ${duplicates} duplicates`,
      );
    } finally {
      await t.app.close();
    }
  });
});

describe('audit sink configuration', () => {
  it('refuses bad sink settings at boot, naming the variable and never the token', async () => {
    const token = 'config-canary-token-123';
    const bad: [Record<string, string>, RegExp][] = [
      [{ AUDIT_SYSLOG_URL: 'udp://siem:514' }, /AUDIT_SYSLOG_URL/],
      [{ AUDIT_SYSLOG_URL: 'tcp://siem:514', NODE_ENV: 'production' }, /AUDIT_SYSLOG_URL/],
      [{ AUDIT_HTTP_URL: 'http://siem/ingest' }, /AUDIT_HTTP_URL/],
      [{ AUDIT_HTTP_URL: `https://user:${token}@siem/ingest` }, /AUDIT_HTTP_URL/],
      [{ AUDIT_HTTP_TOKEN: token }, /AUDIT_HTTP_TOKEN: needs AUDIT_HTTP_URL/],
      [
        { AUDIT_SYSLOG_URL: 'tls://siem:6514', AUDIT_SYSLOG_CERT_FILE: '/c.pem' },
        /AUDIT_SYSLOG_KEY_FILE/,
      ],
    ];
    for (const [env, message] of bad) {
      let error: unknown;
      try {
        loadAppConfig({ NODE_ENV: 'test', ...env });
      } catch (e) {
        error = e;
      }
      expect(String(error), JSON.stringify(env)).toMatch(message);
      expect(String(error)).not.toContain(token);
    }
    // A CA file that cannot be read stops the boot and names the variable.
    await expect(
      createTestApp({
        env: { AUDIT_HTTP_URL: 'https://localhost:1/x', AUDIT_HTTP_CA_FILE: '/nonexistent/ca.pem' },
      }),
    ).rejects.toThrow(/AUDIT_HTTP_CA_FILE: cannot read the file \(ENOENT\)/);
  });
});
