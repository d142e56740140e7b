import type { Knex } from 'knex';
import type { Client } from 'pg';
import type { RunResult } from '../datasources/connectors/connector';
import { PostgresPipelinedRun } from './postgres-pipelined-run';
import { mapDriverError } from './query-error-mapping';
import { disposeConnection, knexClient, SqlExecutor, SqlRun } from './sql-executor';

/** Extra time after the database's own timeout before the client gives up on the socket. */
const CLIENT_GRACE_MS = 2_000;

/**
 * PostgreSQL: runs the statement with `statement_timeout`, `TimeZone = 'UTC'`, `bytea_output`
 * and `DateStyle` set for its transaction only, so a pooled server (PgBouncer transaction mode)
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
    // Backstop if the server never answers: the run settles as a timeout and the socket is
    // destroyed (the pool then drops the connection).
    const backstop = setTimeout(
      () => {
        pipelined.abandon(
          Object.assign(new Error('no answer from the database'), { name: 'TimeoutError' }),
        );
        (
          conn as unknown as { connection?: { stream?: { destroy(): void } } }
        ).connection?.stream?.destroy();
      },
      Math.max(1, run.limits.timeoutMs) + CLIENT_GRACE_MS,
    );
    try {
      void conn.query(pipelined as unknown as Parameters<Client['query']>[0]);
      return await pipelined.promise;
    } catch (error) {
      throw mapDriverError(error, run.limits.timeoutMs);
    } finally {
      clearTimeout(backstop);
      if (!pipelined.healthy) disposeConnection(conn, 'query proxy: connection in doubt');
      await client.releaseConnection(conn);
    }
  }
}
