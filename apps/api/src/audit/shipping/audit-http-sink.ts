import { Agent, request } from 'node:https';
import type { AuditSink } from './audit-sink';
import type { ShippedAuditEntry } from './audit-ship-format';

/**
 * A POST that has not finished (answer read to its end) this long after it started (ms) fails
 * and is retried: a total deadline, not an idle timeout, so a receiver trickling its answer a
 * byte at a time cannot hold the shipper (and the shutdown waiting for it) forever.
 */
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * Newline-delimited JSON over HTTPS (`AUDIT_HTTP_URL`): each batch is one POST with
 * `Content-Type: application/x-ndjson`, one {@link ShippedAuditEntry} per line, and
 * `Authorization: Bearer <AUDIT_HTTP_TOKEN>` when a token is set. A 2xx answer means the
 * receiver has the batch; anything else is retried. The token is sent in that header only and
 * never appears in an error or log line.
 */
export class AuditHttpSink implements AuditSink {
  readonly name = 'http';
  private readonly agent: Agent;
  private confirmed = 0;
  private current: ReturnType<typeof request> | null = null;

  constructor(
    private readonly url: URL,
    private readonly token: string | undefined,
    ca: Buffer | undefined,
    private readonly timeoutMs: number = REQUEST_TIMEOUT_MS,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: 1, ...(ca ? { ca } : {}) });
  }

  async send(entries: ShippedAuditEntry[]): Promise<void> {
    const body = Buffer.from(entries.map((e) => JSON.stringify(e)).join('\n') + '\n', 'utf8');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        this.url,
        {
          method: 'POST',
          agent: this.agent,
          headers: {
            'content-type': 'application/x-ndjson',
            'content-length': String(body.length),
            ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
          },
        },
        (res) => {
          res.resume(); // the body is not needed; drain it so the connection is reused
          res.once('end', () => resolve(res.statusCode ?? 0));
          res.once('error', (e) => reject(new Error(`HTTP sink: ${e.message}`)));
        },
      );
      const deadline = setTimeout(
        () => req.destroy(new Error(`no complete answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      req.once('close', () => clearTimeout(deadline));
      req.once('error', (e) => reject(new Error(`HTTP sink: ${e.message}`)));
      this.current = req;
      req.end(body);
    }).finally(() => {
      this.current = null;
    });
    if (status < 200 || status > 299) throw new Error(`HTTP sink answered ${status}`);
    this.confirmed = entries[entries.length - 1].sequence;
  }

  confirmedThrough(): number {
    return this.confirmed;
  }

  reset(): void {
    // Sockets of a failed request are destroyed by Node; idle ones are kept. A request still
    // running (shutdown gave up waiting for it) is aborted so its send fails now.
    this.current?.destroy(new Error('HTTP sink: stopped'));
  }

  close(): Promise<void> {
    this.current?.destroy(new Error('HTTP sink: stopped'));
    this.agent.destroy();
    return Promise.resolve();
  }
}
