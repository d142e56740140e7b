import { rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditHttpSink } from '../../src/audit/shipping/audit-http-sink';
import type { ShippedAuditEntry } from '../../src/audit/shipping/audit-ship-format';
import { AuditSyslogSink } from '../../src/audit/shipping/audit-syslog-sink';
import { createTestCa, issueServerCert } from '../harness/tls-postgres-server';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function entries(n: number, size: number): ShippedAuditEntry[] {
  return Array.from({ length: n }, (_, i) => ({
    v: 1,
    sequence: i + 1,
    occurredAt: new Date(0).toISOString(),
    actorUserId: null,
    actorEmail: null,
    workspaceId: null,
    action: 'auth.login',
    targetType: null,
    targetId: null,
    ip: null,
    userAgent: 'x'.repeat(size),
    correlationId: null,
    details: '{}',
    prevHash: '0'.repeat(64),
    hash: '0'.repeat(64),
  }));
}

/**
 * A receiver that answers slowly or stops reading must not hold the shipper, and with it the
 * shutdown, forever (breaking session: a 200 with a 100 MB body sent a byte per second, and a
 * syslog peer that never reads, each kept a SIGTERMed server alive past its stop timeout).
 */
describe('audit sinks against stalled receivers', () => {
  it('HTTPS: an answer trickled a byte at a time fails at the total deadline', async () => {
    const ca = createTestCa('Stalled receiver CA');
    cleanups.push(() => rmSync(ca.dir, { recursive: true, force: true }));
    const tls = issueServerCert(ca, 'DNS:localhost');
    const timers = new Set<NodeJS.Timeout>();
    const server = createHttpsServer(tls, (req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-length': '100000000' });
        // One byte every 100 ms: never idle for the old 10 s idle timeout, never finished.
        const t = setInterval(() => res.write('x'), 100);
        timers.add(t);
        res.on('close', () => clearInterval(t));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => {
      for (const t of timers) clearInterval(t);
      server.closeAllConnections();
      return new Promise((r) => server.close(r));
    });
    const port = (server.address() as AddressInfo).port;
    const sink = new AuditHttpSink(
      new URL(`https://localhost:${port}/ingest`),
      undefined,
      Buffer.from(ca.certPem),
      800,
    );
    cleanups.push(() => sink.close());
    const started = Date.now();
    await expect(sink.send(entries(3, 10))).rejects.toThrow(/no complete answer within 800 ms/);
    // Deadline 800 ms; measured 0.8-0.9 s. 5 s bound: 6x (the old code never ended).
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(sink.confirmedThrough()).toBe(0);
  });

  it('syslog: a peer that accepts but never reads fails the write at its deadline', async () => {
    const sockets = new Set<Socket>();
    const server = createTcpServer((s) => {
      sockets.add(s);
      s.pause(); // never read: the kernel buffers fill and the write callback never comes
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(r));
    });
    const port = (server.address() as AddressInfo).port;
    const sink = new AuditSyslogSink({
      host: '127.0.0.1',
      port,
      transport: 'tcp',
      writeTimeoutMs: 800,
    });
    cleanups.push(() => sink.close());
    const started = Date.now();
    // 64 MB in one batch: far beyond what the socket buffers on both sides can take.
    await expect(sink.send(entries(2_000, 32_000))).rejects.toThrow(/not accepted within 800 ms/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
