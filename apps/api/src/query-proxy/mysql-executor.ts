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
  on(event: 'error' | 'end', cb: (err?: Error) => void): unknown;
  removeListener(event: 'error' | 'end', cb: (err?: Error) => void): unknown;
  _handshakePacket?: { serverVersion?: string };
}

interface MysqlCommand {
  on(event: 'fields', cb: (fields?: MysqlField[]) => void): MysqlCommand;
  on(event: 'result', cb: (row: unknown[] | Record<string, unknown>) => void): MysqlCommand;
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
      return await this.stream(conn, sql, run, abort, () => {
        healthy = false; // stopped mid-result: the rest of it would still be on the wire
      });
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
      }
      await client.releaseConnection(conn);
    }
  }

  private stream(
    conn: MysqlConnection,
    sql: string,
    run: SqlRun,
    abort: { run?: (err: Error) => void },
    onCut: () => void,
  ): Promise<RunResult> {
    return new Promise<RunResult>((resolve, reject) => {
      const collector = new RowCollector(run.limits.maxRows, run.limits.maxBytes);
      let names: string[] = [];
      let types: string[] = [];
      let settled = false;
      // mysql2 reports a lost connection (server shutdown, KILL CONNECTION, dropped socket) on
      // the connection, not on a command without a callback: without these listeners such a
      // run never settled (test/integration/query-executors.spec.ts).
      const lost = (err?: Error) => {
        if (settled) return;
        settled = true;
        onCut();
        detach();
        reject(
          err ??
            Object.assign(new Error('Connection lost: the server closed the connection'), {
              code: 'PROTOCOL_CONNECTION_LOST',
            }),
        );
      };
      const onEnd = () => lost();
      abort.run = lost;
      const detach = () => {
        conn.removeListener('error', lost);
        conn.removeListener('end', onEnd);
      };
      conn.on('error', lost);
      conn.on('end', onEnd);
      const finish = () => {
        if (settled) return;
        settled = true;
        detach();
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
      cmd.on('fields', (fields?: MysqlField[]) => {
        if (!fields) return; // a statement without a result set (INSERT, SET, ...)
        names = uniqueColumnNames(fields.map((f) => f.name));
        types = fields.map((f) => mysqlTypeName(f));
      });
      cmd.on('result', (raw) => {
        if (settled) return;
        if (!Array.isArray(raw)) {
          // A write statement: report affected rows as a one-row result.
          const info = raw as { affectedRows?: number; insertId?: number; serverStatus?: number };
          // Server status flags (MariaDB protocol, OK packet): 1 = in a transaction,
          // 2 = autocommit. A statement that opened a transaction or turned autocommit off
          // (START TRANSACTION, SET autocommit = 0) would hold every later run of this pooled
          // connection in it: that connection is destroyed after this run instead.
          const status = info.serverStatus ?? SERVER_STATUS_AUTOCOMMIT;
          if (status & SERVER_STATUS_IN_TRANS || !(status & SERVER_STATUS_AUTOCOMMIT)) onCut();
          names = ['affectedRows'];
          types = ['int'];
          collector.add({ affectedRows: info.affectedRows ?? 0 });
          return;
        }
        const row: Record<string, unknown> = {};
        for (let i = 0; i < names.length; i++) row[names[i]] = encodeMysqlValue(types[i], raw[i]);
        if (!collector.add(row)) {
          conn.pause();
          onCut();
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

  /** Cancels a running statement from a second pooled connection (MariaDB KB, "KILL"). */
  private async killQuery(pool: Knex, threadId: number | null): Promise<void> {
    if (threadId === null) return;
    const client = knexClient(pool);
    try {
      const other = (await Promise.race([
        client.acquireConnection(),
        new Promise((_, reject) => setTimeout(() => reject(new Error('no connection')), 2_000)),
      ])) as MysqlConnection;
      try {
        await simpleQuery(other, `KILL QUERY ${Number(threadId)}`);
      } finally {
        await client.releaseConnection(other);
      }
    } catch {
      // The statement's own connection is destroyed anyway; the server ends it on write.
    }
  }
}
