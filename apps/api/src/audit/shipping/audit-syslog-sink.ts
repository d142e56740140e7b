import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { AuditSink } from './audit-sink';
import { octetCountedFrame, syslogMessage, type ShippedAuditEntry } from './audit-ship-format';

/** Connecting (TCP + TLS handshake) longer than this (ms) fails and is retried. */
const CONNECT_TIMEOUT_MS = 10_000;
/** A batch the receiver has not taken off the socket within this (ms) fails and is resent. */
const WRITE_TIMEOUT_MS = 10_000;
/**
 * Syslog over TLS has no acknowledgement (RFC 5425): an entry counts as delivered once the
 * connection it was written to has stayed up this long (ms) after the write. A receiver that
 * goes away closes the connection, so entries written in its last second are sent again.
 */
export const SYSLOG_CONFIRM_MS = 1_000;

export interface SyslogSinkOptions {
  host: string;
  port: number;
  transport: 'tls' | 'tcp';
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** Write deadline (ms); default {@link WRITE_TIMEOUT_MS}. */
  writeTimeoutMs?: number;
}

/**
 * Syslog (RFC 5424 messages) over TLS with RFC 5425 octet-counting framing (`AUDIT_SYSLOG_URL=
 * tls://host:port`; `tcp://` without TLS outside production). The server certificate is
 * verified against `AUDIT_SYSLOG_CA_FILE` (else the system CAs) and the URL's host name; a
 * client certificate is presented when `AUDIT_SYSLOG_CERT_FILE` / `_KEY_FILE` are set.
 */
export class AuditSyslogSink implements AuditSink {
  readonly name = 'syslog';
  private socket: Socket | TLSSocket | null = null;
  private brokenAt: number | null = null;
  private brokenReason = '';
  /** Sequences written on the current connection and not yet confirmed, with write times. */
  private written: { sequence: number; at: number }[] = [];
  private confirmed = 0;

  constructor(private readonly options: SyslogSinkOptions) {}

  async send(entries: ShippedAuditEntry[]): Promise<void> {
    const socket = await this.connected();
    const frames = Buffer.concat(entries.map((e) => octetCountedFrame(syslogMessage(e))));
    const writeTimeoutMs = this.options.writeTimeoutMs ?? WRITE_TIMEOUT_MS;
    await new Promise<void>((resolve, reject) => {
      // A receiver that accepts but stops reading fills the socket buffers and the callback
      // never comes: past the deadline the connection is dropped and the batch sent again later.
      const deadline = setTimeout(() => {
        const error = new Error(`syslog sink: write not accepted within ${writeTimeoutMs} ms`);
        socket.destroy(error);
        reject(error);
      }, writeTimeoutMs);
      socket.write(frames, (error) => {
        clearTimeout(deadline);
        if (error) reject(error);
        else resolve();
      });
    });
    if (this.brokenAt !== null) throw new Error(`syslog sink: ${this.brokenReason}`);
    const at = Date.now();
    for (const e of entries) this.written.push({ sequence: e.sequence, at });
  }

  confirmedThrough(now: number = Date.now()): number {
    const horizon = (this.brokenAt ?? now) - SYSLOG_CONFIRM_MS;
    while (this.written.length > 0 && this.written[0].at <= horizon) {
      this.confirmed = this.written.shift()!.sequence;
    }
    return this.confirmed;
  }

  reset(): void {
    this.confirmedThrough();
    this.socket?.destroy();
    this.socket = null;
    this.written = [];
    this.brokenAt = null;
  }

  close(): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    if (!socket || socket.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.end();
      setTimeout(() => {
        socket.destroy();
        resolve();
      }, 2_000).unref();
    });
  }

  private async connected(): Promise<Socket | TLSSocket> {
    if (this.brokenAt !== null) throw new Error(`syslog sink: ${this.brokenReason}`);
    if (this.socket) return this.socket;
    const { host, port, transport, ca, cert, key } = this.options;
    const socket = await new Promise<Socket | TLSSocket>((resolve, reject) => {
      const s =
        transport === 'tls'
          ? tlsConnect({ host, port, servername: isIp(host) ? undefined : host, ca, cert, key })
          : netConnect({ host, port });
      const timer = setTimeout(
        () => s.destroy(new Error(`no connection within ${CONNECT_TIMEOUT_MS} ms`)),
        CONNECT_TIMEOUT_MS,
      );
      s.once(transport === 'tls' ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once('error', (e: Error) => {
        clearTimeout(timer);
        reject(new Error(`syslog sink: ${e.message}`));
      });
    });
    socket.setKeepAlive(true, 10_000);
    const broken = (reason: string) => {
      if (this.socket !== socket || this.brokenAt !== null) return;
      this.brokenAt = Date.now();
      this.brokenReason = reason;
    };
    socket.on('error', (e: Error) => broken(e.message));
    socket.on('end', () => broken('the receiver closed the connection'));
    socket.on('close', () => broken('connection closed'));
    // The receiver never sends anything; anything it does send is ignored.
    socket.on('data', () => undefined);
    this.socket = socket;
    return socket;
  }
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}
