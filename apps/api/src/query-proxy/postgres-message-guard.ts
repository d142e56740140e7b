/** What the guard needs of a socket: its data events and a way to drop it. */
interface GuardedSocket {
  prependListener(event: 'data', listener: (chunk: Buffer) => void): unknown;
  destroy(): void;
}

/** Largest backend message accepted while no run is active (bytes). */
const IDLE_LIMIT_BYTES = 64 * 1024 * 1024;

const GUARD = Symbol('bastion.pgMessageGuard');

/** Message type byte of a DataRow (PostgreSQL docs, "Message Formats"). */
const DATA_ROW = 0x44;

/**
 * Watches the backend messages of one pg connection and drops the connection as soon as a
 * message announces a length above the current limit, before pg buffers it.
 *
 * Why: pg-protocol buffers each message whole and turns every DataRow value into a JS string,
 * so one value larger than V8's string limit (~512 MiB) threw inside the socket's data handler
 * and ended the API process, and a 200 MB value cost ~900 MB of memory, whatever the run's
 * byte cap. Every backend message starts with a type byte and an Int32 length that counts
 * itself (PostgreSQL docs, "Message Formats"); the guard follows those headers across chunks
 * and reads nothing else. Attached once per connection, ahead of pg's own listener.
 */
export class PostgresMessageGuard {
  private readonly header = Buffer.alloc(5);
  private headerFill = 0;
  /** Body bytes of the current message still to come. */
  private remaining = 0;
  private limit = IDLE_LIMIT_BYTES;
  private onOversized: ((kind: 'row' | 'other') => void) | undefined;
  private tripped = false;

  private constructor(private readonly socket: GuardedSocket) {
    socket.prependListener('data', (chunk) => this.scan(chunk));
  }

  /**
   * The guard of a pg `Client`'s socket, attached on first use (the connection is idle then, so
   * the next byte starts a message). @returns undefined when the client has no socket.
   */
  static of(client: object): PostgresMessageGuard | undefined {
    const holder = client as { [GUARD]?: PostgresMessageGuard; connection?: { stream?: unknown } };
    const existing = holder[GUARD];
    if (existing) return existing;
    const socket = holder.connection?.stream as GuardedSocket | undefined;
    if (!socket || typeof socket.prependListener !== 'function') return undefined;
    const guard = new PostgresMessageGuard(socket);
    holder[GUARD] = guard;
    return guard;
  }

  /**
   * Applies `limitBytes` (largest DataRow body) until {@link release}; `onOversized` runs just
   * before the socket is destroyed because of a larger message: `row` for a DataRow over the
   * limit, `other` for any message over the idle limit (64 MiB).
   */
  watch(limitBytes: number, onOversized: (kind: 'row' | 'other') => void): void {
    this.limit = limitBytes;
    this.onOversized = onOversized;
  }

  release(): void {
    this.limit = IDLE_LIMIT_BYTES;
    this.onOversized = undefined;
  }

  private scan(chunk: Buffer): void {
    if (this.tripped) return;
    let i = 0;
    while (i < chunk.length) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - i);
        this.remaining -= take;
        i += take;
        continue;
      }
      this.header[this.headerFill++] = chunk[i++];
      if (this.headerFill < 5) continue;
      this.headerFill = 0;
      const body = this.header.readUInt32BE(1) - 4;
      // The run's limit applies to rows (DataRow, 'D'); an error, notice or row description
      // may be long without being a result, so those get the idle limit.
      const isRow = this.header[0] === DATA_ROW;
      if (body > (isRow ? this.limit : IDLE_LIMIT_BYTES)) {
        const notify = this.onOversized;
        this.release();
        this.tripped = true;
        // After this data event: pg's own listener still parses the whole messages before this
        // one in the chunk (a row, the row description), and buffers at most this chunk.
        queueMicrotask(() => {
          notify?.(isRow ? 'row' : 'other');
          this.socket.destroy();
        });
        return;
      }
      this.remaining = body;
    }
  }
}
