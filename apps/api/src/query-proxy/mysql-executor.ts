import type { Knex } from 'knex';
import type { RunResult } from '../datasources/connectors/connector';
import { mapDriverError } from './query-error-mapping';
import { QueryErrorCode, QueryException } from './query.exception';
import {
  encodeMysqlValue,
  mysqlTypeName,
  RowCollector,
  uniqueColumnNames,
} from './result-encoding';
import { disposeConnection, knexClient, SqlExecutor, SqlRun } from './sql-executor';

/** The parts of a mysql2 (callback API) connection the executor uses. */
interface MysqlConnection {
  threadId: number | null;
  execute(options: Record<string, unknown>): MysqlCommand;
  query(options: Record<string, unknown> | string, cb?: (err: Error | null) => void): MysqlCommand;
  pause(): void;
  destroy(): void;
  on(event: 'error' | 'end' | 'warn', cb: (err?: Error) => void): unknown;
  removeListener(event: 'error' | 'end' | 'warn', cb: (err?: Error) => void): unknown;
  _handshakePacket?: { serverVersion?: string };
}

interface MysqlCommand {
  on(event: 'fields', cb: (fields?: MysqlField[], index?: number) => void): MysqlCommand;
  on(
    event: 'result',
    cb: (row: unknown[] | Record<string, unknown>, index?: number) => void,
  ): MysqlCommand;
  on(event: 'error', cb: (err: Error) => void): MysqlCommand;
  on(event: 'end', cb: () => void): MysqlCommand;
}

interface MysqlField {
  name: string;
  columnType?: number;
  type?: number;
  characterSet?: number;
}

const CLIENT_GRACE_MS = 1_000;
const SERVER_STATUS_IN_TRANS = 0x0001;
const SERVER_STATUS_AUTOCOMMIT = 0x0002;

function simpleQuery(conn: MysqlConnection, sql: string): Promise<void> {
  return new Promise((resolve, reject) => {
    conn.query(sql, (err) => (err ? reject(err) : resolve()));
  });
}

/**
 * MariaDB / MySQL: a server-side prepared statement (binary protocol: values are bound, never
 * formatted into the text) with per-query lossless options (`supportBigNumbers`,
 * `bigNumberStrings`, `dateStrings`, `decimalNumbers:false`). The timeout is enforced at the
 * database with `SET STATEMENT max_statement_time=s FOR ...` on MariaDB (MariaDB KB, "SET
 * STATEMENT") and by `KILL QUERY` from a second pooled connection as the backstop (also the
 * only mechanism on MySQL). Reading stops at the caps; a connection left mid-result is destroyed.
 *
 * Results: the FIRST result set only (a `CALL` may return several, each followed by more; MariaDB
 * KB, "CALL" and "OK_Packet" (`SERVER_MORE_RESULTS_EXISTS`)); later sets and the `CALL`'s final
 * OK packet are read and dropped. A statement without a result set answers its affected rows.
 *
 * Session state: a statement answered by an OK packet (a write, `CALL`, `LOCK TABLES`, `FLUSH
 * TABLES WITH READ LOCK`, `SET`, `DO`, ...) may leave locks or settings on its session that
 * outlive the run (MariaDB KB, "LOCK TABLES", "FLUSH", "GET_LOCK"); mysql2 3.15 has no
 * COM_RESET_CONNECTION, so such a connection is destroyed after the run. A run that returns a
 * result set only (a SELECT) keeps its connection and costs no extra round trip.
 */
export class MysqlExecutor implements SqlExecutor {
  async run(pool: Knex, run: SqlRun): Promise<RunResult> {
    const client = knexClient(pool);
    let conn: MysqlConnection;
    try {
      conn = (await client.acquireConnection()) as MysqlConnection;
    } catch (error) {
      throw mapDriverError(error, run.limits.timeoutMs);
    }
    const timeoutMs = Math.max(1, Math.floor(run.limits.timeoutMs));
    const isMariaDb = /mariadb/i.test(conn._handshakePacket?.serverVersion ?? '');
    let healthy = true;
    /** The run's session may keep locks or settings: closed after the run, without a warning. */
    let sessionTouched = false;
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    let destroyTimer: NodeJS.Timeout | undefined;
    const abort: { run?: (err: Error) => void } = {};
    try {
      // Our pool, our session setting: TIMESTAMP values read back in UTC.
      await simpleQuery(conn, "SET time_zone = '+00:00'");
      const sql = isMariaDb
        ? `SET STATEMENT max_statement_time=${(timeoutMs / 1000).toFixed(3)} FOR ${run.text}`
        : run.text;
      const threadId = conn.threadId;
      killTimer = setTimeout(
        () => {
          healthy = false;
          timedOut = true;
          void this.killQuery(pool, threadId);
          // Last resort: a server that ignores KILL loses the socket, and the run settles.
          destroyTimer = setTimeout(() => {
            conn.destroy();
            abort.run?.(new Error('no answer from the database'));
          }, 2_000);
        },
        timeoutMs + (isMariaDb ? CLIENT_GRACE_MS : 0),
      );
      const result = await this.stream(
        conn,
        sql,
        run,
        abort,
        () => {
          healthy = false; // stopped mid-result or out of protocol step
        },
        () => {
          sessionTouched = true;
        },
      );
      // The answer came after the client-side timeout had fired (the statement overrode the
      // server-side limit, and KILL QUERY did not land in time): the run timed out all the same.
      if (timedOut) throw new Error('answered after the client-side timeout');
      return result;
    } catch (error) {
      const mapped = timedOut
        ? new QueryException(
            QueryErrorCode.Timeout,
            `The query ran longer than its ${timeoutMs} ms limit and was cancelled`,
          )
        : mapDriverError(error, timeoutMs);
      if (mapped.status >= 500 && mapped.status !== 504) healthy = false;
      throw mapped;
    } finally {
      clearTimeout(killTimer);
      clearTimeout(destroyTimer);
      if (!healthy) {
        disposeConnection(conn, 'query proxy: connection in doubt');
        conn.destroy();
      } else if (sessionTouched) {
        // mysql2 3.15 has no COM_RESET_CONNECTION; the pool's validation drops a closed
        // connection on the next acquire (knex mysql2 `validateConnection`).
        conn.destroy();
      }
      await client.releaseConnection(conn);
    }
  }

  private stream(
    conn: MysqlConnection,
    sql: string,
    run: SqlRun,
    abort: { run?: (err: Error) => void },
    discard: () => void,
    touchedSession: () => void,
  ): Promise<RunResult> {
    return new Promise<RunResult>((resolve, reject) => {
      const collector = new RowCollector(run.limits.maxRows, run.limits.maxBytes);
      let names: string[] = [];
      let types: string[] = [];
      let settled = false;
      /** Index of the result set returned (the first one); undefined until one starts. */
      let firstSet: number | undefined;
      let sawOk = false;
      // mysql2 reports a lost connection (server shutdown, KILL CONNECTION, dropped socket) on
      // the connection, not on a command without a callback: without these listeners such a
      // run never settled (test/integration/query-executors.spec.ts).
      const lost = (err?: Error) => {
        if (settled) return;
        settled = true;
        discard();
        detach();
        reject(
          err ??
            Object.assign(new Error('Connection lost: the server closed the connection'), {
              code: 'PROTOCOL_CONNECTION_LOST',
            }),
        );
      };
      const onEnd = () => lost();
      // mysql2 only warns about packets out of sequence; such a connection is never reused.
      const onWarn = () => discard();
      abort.run = lost;
      const detach = () => {
        conn.removeListener('error', lost);
        conn.removeListener('end', onEnd);
        conn.removeListener('warn', onWarn);
      };
      conn.on('error', lost);
      conn.on('end', onEnd);
      conn.on('warn', onWarn);
      const finish = () => {
        if (settled) return;
        settled = true;
        detach();
        if (firstSet === undefined && !sawOk) {
          // Every statement ends in a result set or an OK/error packet (MariaDB KB, "Result
          // set packets", "OK_Packet"); ending with neither means the client and the server are
          // out of step (seen with LOAD DATA LOCAL INFILE): the connection is not reused.
          discard();
          reject(
            new QueryException(
              QueryErrorCode.Internal,
              'The database answered out of protocol; the connection was closed',
            ),
          );
          return;
        }
        resolve({
          columns: names.map((name, i) => ({ name, type: types[i] })),
          rows: collector.rows,
          rowCount: collector.rows.length,
          truncated: collector.truncated,
        });
      };
      const cmd = conn.execute({
        sql,
        values: run.values,
        rowsAsArray: true,
        supportBigNumbers: true,
        bigNumberStrings: true,
        dateStrings: true,
        decimalNumbers: false,
      });
      cmd.on('fields', (fields?: MysqlField[], index?: number) => {
        if (!fields) return; // a statement without a result set (INSERT, SET, ...)
        if (firstSet !== undefined) return; // a later result set of a CALL: dropped
        firstSet = index ?? 0;
        names = uniqueColumnNames(fields.map((f) => f.name));
        types = fields.map((f) => mysqlTypeName(f));
      });
      cmd.on('result', (raw, index?: number) => {
        if (settled) return;
        if (!Array.isArray(raw)) {
          // An OK packet: a statement without a result set, or the end of a CALL. Its session
          // may keep locks or settings (LOCK TABLES, GET_LOCK in a procedure, SET): closed.
          touchedSession();
          const info = raw as { affectedRows?: number; insertId?: number; serverStatus?: number };
          // Server status flags (MariaDB protocol, OK packet): 1 = in a transaction,
          // 2 = autocommit. A statement that opened a transaction or turned autocommit off
          // (START TRANSACTION, SET autocommit = 0) would hold every later run of this pooled
          // connection in it: that connection is destroyed after this run instead.
          const status = info.serverStatus ?? SERVER_STATUS_AUTOCOMMIT;
          if (status & SERVER_STATUS_IN_TRANS || !(status & SERVER_STATUS_AUTOCOMMIT)) discard();
          if (firstSet !== undefined || sawOk) return; // the final OK of a CALL: dropped
          sawOk = true;
          // A write statement: report affected rows as a one-row result.
          names = ['affectedRows'];
          types = ['int'];
          collector.add({ affectedRows: info.affectedRows ?? 0 });
          return;
        }
        if (index !== undefined && index !== firstSet) return; // a later result set: dropped
        const row: Record<string, unknown> = {};
        for (let i = 0; i < names.length; i++) row[names[i]] = encodeMysqlValue(types[i], raw[i]);
        if (!collector.add(row)) {
          conn.pause();
          discard();
          finish();
        }
      });
      cmd.on('error', (err) => {
        if (settled) return;
        settled = true;
        detach();
        reject(err);
      });
      cmd.on('end', finish);
    });
  }

  /**
   * Cancels a running statement from a second pooled connection (MariaDB KB, "KILL"). Waits at
   * most 2 s for that connection; one lent later (e.g. once the timed-out run's own connection
   * was destroyed in a pool of one) is given back at once, so it never holds a pool slot.
   */
  private async killQuery(pool: Knex, threadId: number | null): Promise<void> {
    if (threadId === null) return;
    const client = knexClient(pool);
    let gaveUp = false;
    const acquiring = client.acquireConnection().then(async (conn) => {
      if (gaveUp) await client.releaseConnection(conn);
      return conn;
    });
    // A late rejection (acquire timeout) after giving up is expected and ignored.
    acquiring.catch(() => undefined);
    let waitTimer: NodeJS.Timeout | undefined;
    try {
      const other = (await Promise.race([
        acquiring,
        new Promise((_, reject) => {
          waitTimer = setTimeout(() => {
            gaveUp = true;
            reject(new Error('no connection'));
          }, 2_000);
        }),
      ])) as MysqlConnection;
      clearTimeout(waitTimer);
      try {
        await simpleQuery(other, `KILL QUERY ${Number(threadId)}`);
      } finally {
        await client.releaseConnection(other);
      }
    } catch {
      clearTimeout(waitTimer);
      // The statement's own connection is destroyed anyway; the server ends it on write.
    }
  }
}
