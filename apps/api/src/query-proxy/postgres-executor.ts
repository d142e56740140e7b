import type { Knex } from 'knex';
import type { Client, FieldDef } from 'pg';
import QueryStream from 'pg-query-stream';
import type { ResultColumn, RunResult } from '../datasources/connectors/connector';
import { mapDriverError } from './query-error-mapping';
import {
  decodePgText,
  PG_TEXT_TYPES,
  PG_TYPE_NAMES,
  RowCollector,
  uniqueColumnNames,
} from './result-encoding';
import { disposeConnection, knexClient, SqlExecutor, SqlRun } from './sql-executor';

interface CorkableSocket {
  cork?: () => void;
  uncork?: () => void;
}

/** Extra time after the database's own timeout before the client gives up on the socket. */
const CLIENT_GRACE_MS = 2_000;

/** Rejects when `promise` has not settled within `ms` milliseconds. */
function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('no answer from the connection')), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * PostgreSQL: runs the statement in a transaction whose `SET LOCAL statement_timeout`,
 * `TimeZone = 'UTC'`, `bytea_output` and `DateStyle` end with it, so a pooled server
 * (PgBouncer transaction mode) never keeps our settings (PostgreSQL docs, SET: "SET LOCAL ...
 * effects last only till the end of the current transaction"). Rows come through a cursor
 * (pg-query-stream) in batches and reading stops at the caps. Every value is read as text
 * and decoded by type OID (result-encoding.ts). A connection that ended in doubt is destroyed.
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
    let healthy = true;
    const timeoutMs = Math.max(1, Math.floor(run.limits.timeoutMs));
    let rowStream: QueryStream | undefined;
    // Backstop if the server never answers: destroy the socket (the pool then drops it) and
    // the row stream, whose iterator otherwise can wait forever on a connection that died
    // mid-run (server shutdown under load: test/reliability/faults.spec.ts).
    const backstop = setTimeout(() => {
      healthy = false;
      disposeConnection(conn, 'query proxy client timeout');
      (
        conn as unknown as { connection?: { stream?: { destroy(): void } } }
      ).connection?.stream?.destroy();
      rowStream?.destroy(
        Object.assign(new Error('no answer from the database'), { name: 'TimeoutError' }),
      );
    }, timeoutMs + CLIENT_GRACE_MS);
    try {
      // timeoutMs is a validated integer: the only value in this text, and not user-chosen text.
      await conn.query(
        `BEGIN; SET LOCAL statement_timeout = ${timeoutMs}; SET LOCAL TimeZone = 'UTC'; ` +
          `SET LOCAL bytea_output = 'hex'; SET LOCAL DateStyle = 'ISO, YMD'`,
      );
      const stream = new QueryStream(run.text, run.values, {
        types: PG_TEXT_TYPES,
        rowMode: 'array',
        batchSize: 200,
      } as ConstructorParameters<typeof QueryStream>[2]);
      rowStream = stream;
      // The cursor writes Parse, Bind, Describe and Flush synchronously on submit; corking the
      // socket sends them in one write instead of four (Node docs, writable.cork()).
      const socket = (conn as unknown as { connection?: { stream?: CorkableSocket } }).connection
        ?.stream;
      socket?.cork?.();
      try {
        conn.query(stream);
      } finally {
        socket?.uncork?.();
      }
      const collector = new RowCollector(run.limits.maxRows, run.limits.maxBytes);
      let columns: ResultColumn[] | undefined;
      let names: string[] = [];
      let oids: number[] = [];
      const describe = () => {
        const fields = (stream as unknown as { _result: { fields: FieldDef[] } })._result.fields;
        names = uniqueColumnNames(fields.map((f) => f.name));
        oids = fields.map((f) => f.dataTypeID);
        columns = fields.map((f, i) => ({
          name: names[i],
          type: PG_TYPE_NAMES[f.dataTypeID] ?? `oid:${f.dataTypeID}`,
        }));
      };
      for await (const raw of stream as AsyncIterable<(string | null)[]>) {
        if (!columns) describe();
        const row: Record<string, unknown> = {};
        for (let i = 0; i < names.length; i++) {
          const v = raw[i];
          row[names[i]] = v === null ? null : decodePgText(oids[i], v);
        }
        if (!collector.add(row)) break; // leaving the loop closes the cursor
      }
      if (!columns) describe();
      await conn.query('COMMIT');
      return {
        columns: columns ?? [],
        rows: collector.rows,
        rowCount: collector.rows.length,
        truncated: collector.truncated,
      };
    } catch (error) {
      // Only a statement error leaves a live session to roll back. After a dropped socket or
      // a server shutdown (no SQLSTATE, class 08, 57P0x) pg may queue the ROLLBACK forever,
      // which held the run and its concurrency slot: found by test/reliability/faults.spec.ts.
      const code = (error as { code?: unknown } | null)?.code;
      const statementError =
        typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !/^(08|57P)/.test(code);
      if (healthy && statementError) {
        try {
          await withDeadline(conn.query('ROLLBACK'), CLIENT_GRACE_MS);
        } catch {
          healthy = false;
        }
      } else {
        healthy = false;
      }
      throw mapDriverError(error, timeoutMs);
    } finally {
      clearTimeout(backstop);
      if (!healthy) disposeConnection(conn, 'query proxy: connection in doubt');
      await client.releaseConnection(conn);
    }
  }
}
