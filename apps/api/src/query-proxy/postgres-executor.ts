import type { Knex } from 'knex';
import { connect } from 'node:net';
import type { Client } from 'pg';
import type { RunResult } from '../datasources/connectors/connector';
import { PostgresMessageGuard } from './postgres-message-guard';
import { PostgresPipelinedRun } from './postgres-pipelined-run';
import { mapDriverError } from './query-error-mapping';
import { QueryErrorCode, QueryException } from './query.exception';
import { disposeConnection, knexClient, SqlExecutor, SqlRun } from './sql-executor';

/** Extra time after the database's own timeout before the client gives up on the socket. */
const CLIENT_GRACE_MS = 2_000;

/** What a connected pg `Client` knows of its backend. */
interface BackendIdentity {
  host?: string;
  port?: number;
  processID?: number | null;
  secretKey?: number | null;
}

/**
 * Asks the server to cancel whatever the connection's backend is running, over a new TCP
 * connection to the same (egress-checked) address: a CancelRequest is 16 bytes, Int32 length
 * 16, Int32 80877102, the backend's process id and secret key, and needs no authentication
 * (PostgreSQL docs, "Canceling Requests in Progress", "Message Formats"). Fire and forget: the
 * caller destroys its own socket anyway. Why: dropping the socket alone leaves a backend
 * running until it next writes (a deferred trigger running at commit,
 * or a statement that turned its own timeout off mid-run).
 */
export function sendCancelRequest(client: object): void {
  const { host, port, processID, secretKey } = client as BackendIdentity;
  if (!host || host.startsWith('/') || !port) return;
  if (typeof processID !== 'number' || typeof secretKey !== 'number') return;
  const message = Buffer.alloc(16);
  message.writeInt32BE(16, 0);
  message.writeInt32BE(80877102, 4);
  message.writeInt32BE(processID, 8);
  message.writeInt32BE(secretKey, 12);
  const socket = connect({ host, port });
  socket.setTimeout(CLIENT_GRACE_MS, () => socket.destroy());
  socket.on('error', () => socket.destroy());
  socket.on('connect', () => socket.end(message));
}

/**
 * Resets a session whose run failed before its own reset ran (the server skips every message
 * after an error up to the Sync): `DISCARD ALL` closes cursors, restores every setting and the
 * role, drops prepared statements, listens, advisory locks, temporary tables and sequence
 * state (PostgreSQL docs, DISCARD). A failed statement rolls back its transaction, but not a
 * session advisory lock, nor what a `DO` or `CALL` committed before raising its error.
 * @returns false when the session could not be reset in time (the caller drops it).
 */
async function discardSession(conn: Client): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      conn.query('DISCARD ALL'),
      new Promise((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error('no answer')), CLIENT_GRACE_MS);
      }),
    ]);
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Largest DataRow a run accepts (bytes); a larger one cuts the run there, unbuffered
 * (postgres-message-guard.ts). A row's JSON is rarely smaller than its wire form: hex `bytea`
 * becomes 2/3 as base64, and `json` text loses its whitespace and `\uXXXX` escapes when
 * re-encoded, which can shrink it several times. 4x keeps such rows under the cap readable
 * and still stops the values that ended the process (hundreds of MB) long before pg buffers
 * them; a json value that shrinks more than 4x may be cut (query-proxy/README.md).
 */
const messageLimitFor = (maxBytes: number) => 4 * maxBytes + 64 * 1024;

/**
 * PostgreSQL: runs the statement with `statement_timeout`, `TimeZone = 'UTC'`, `bytea_output`,
 * `DateStyle` and the other output settings set for its transaction only, so a pooled server (PgBouncer transaction mode)
 * never keeps our settings, and reads rows in batches that stop at the caps; all of it in two
 * round trips (postgres-pipelined-run.ts). Every value is read as text and decoded by type OID
 * (result-encoding.ts). A connection that ended in doubt is destroyed, not lent again.
 * @throws QueryException (query-error-mapping.ts): 504 timeout, 422 database error or
 *   unreachable.
 */
export class PostgresExecutor implements SqlExecutor {
  async run(pool: Knex, run: SqlRun): Promise<RunResult> {
    const client = knexClient(pool);
    let conn: Client;
    try {
      conn = (await client.acquireConnection()) as Client;
    } catch (error) {
      throw mapDriverError(error, run.limits.timeoutMs);
    }
    const pipelined = new PostgresPipelinedRun(run.text, run.values, run.limits);
    const guard = PostgresMessageGuard.of(conn);
    guard?.watch(messageLimitFor(run.limits.maxBytes), (kind) => {
      if (kind === 'row') pipelined.cutOversized();
      else
        pipelined.abandon(
          Object.assign(new Error('the database sent a message too large to read'), {
            code: '54000', // program_limit_exceeded
          }),
        );
    });
    // Backstop if the run outlives its timeout: the run settles as a timeout, and the `finally`
    // below cancels the statement at the database and destroys the socket (unhealthy run).
    const backstop = setTimeout(
      () =>
        pipelined.abandon(
          Object.assign(new Error('no answer from the database'), { name: 'TimeoutError' }),
        ),
      Math.max(1, run.limits.timeoutMs) + CLIENT_GRACE_MS,
    );
    const started = Date.now();
    try {
      void conn.query(pipelined as unknown as Parameters<Client['query']>[0]);
      return await pipelined.promise;
    } catch (error) {
      const elapsedMs = Date.now() - started;
      // One more round trip, on failed runs only: their in-transaction reset never ran.
      if (pipelined.healthy && !(await discardSession(conn))) pipelined.healthy = false;
      // query_canceled well before the limit came from elsewhere (pg_cancel_backend, an
      // operator), not from our statement_timeout. Timed, not read from the message, which
      // the server's lc_messages may translate.
      if (
        (error as { code?: unknown } | null)?.code === '57014' &&
        elapsedMs < run.limits.timeoutMs * 0.9
      ) {
        throw new QueryException(
          QueryErrorCode.QueryFailed,
          'The query was cancelled at the database before its time limit',
        );
      }
      throw mapDriverError(error, run.limits.timeoutMs);
    } finally {
      clearTimeout(backstop);
      guard?.release();
      if (!pipelined.healthy) {
        // Dropped now, not at the pool's next acquire: its backend must not go on streaming,
        // sit in a transaction or run what it was given (a cancel to an idle backend is void).
        disposeConnection(conn, 'query proxy: connection in doubt');
        sendCancelRequest(conn);
        (
          conn as unknown as { connection?: { stream?: { destroy(): void } } }
        ).connection?.stream?.destroy();
      }
      await client.releaseConnection(conn);
    }
  }
}
