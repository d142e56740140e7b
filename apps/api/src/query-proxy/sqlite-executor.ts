import { spawn } from 'node:child_process';
import type { Knex } from 'knex';
import type { RunResult } from '../datasources/connectors/connector';
import { mapDriverError } from './query-error-mapping';
import { QueryErrorCode, QueryException } from './query.exception';
import { SQLITE_CHILD_SOURCE } from './sqlite-child-source';
import { knexClient, SqlExecutor, SqlRun } from './sql-executor';

type ChildReply =
  | {
      columns: { name: string; type: string }[];
      rows: Record<string, unknown>[];
      truncated: boolean;
    }
  | { error: { code: string; message: string } };

/**
 * The file the connector's pool opens: borrowed from a pooled better-sqlite3 connection, so the
 * datasources module's path checks (folder confinement, symlinks, metadata file) apply.
 */
async function filenameOf(pool: Knex): Promise<string> {
  const client = knexClient(pool);
  const db = (await client.acquireConnection()) as { name?: unknown; memory?: boolean };
  try {
    if (typeof db.name !== 'string' || db.name === '' || db.memory) {
      throw new QueryException(
        QueryErrorCode.Unreachable,
        'The SQLite datasource has no database file',
      );
    }
    return db.name;
  } finally {
    await client.releaseConnection(db);
  }
}

/**
 * SQLite: each statement runs in a short-lived child process (see sqlite-child-source.ts) so
 * the API's event loop is never blocked, and a statement past its timeout is stopped with
 * SIGKILL. Integers come back as BigInt (`safeIntegers`) and are encoded losslessly.
 * Cost: ~50 ms of process start per run (measured in bench/README.md).
 */
export class SqliteExecutor implements SqlExecutor {
  private readonly driverPath = require.resolve('better-sqlite3');

  async run(pool: Knex, run: SqlRun): Promise<RunResult> {
    let filename: string;
    try {
      filename = await filenameOf(pool);
    } catch (error) {
      throw mapDriverError(error, run.limits.timeoutMs);
    }
    const timeoutMs = Math.max(1, Math.floor(run.limits.timeoutMs));
    return new Promise<RunResult>((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', SQLITE_CHILD_SOURCE], {
        stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
        serialization: 'advanced',
        env: {},
      });
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        fn();
      };
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        settle(() =>
          reject(
            new QueryException(
              QueryErrorCode.Timeout,
              `The query ran longer than its ${timeoutMs} ms limit and was cancelled`,
            ),
          ),
        );
      }, timeoutMs);
      child.once('message', (reply: ChildReply) => {
        settle(() => {
          if ('error' in reply) reject(mapDriverError(reply.error, timeoutMs));
          else {
            resolve({
              columns: reply.columns,
              rows: reply.rows,
              rowCount: reply.rows.length,
              truncated: reply.truncated,
            });
          }
        });
      });
      child.once('error', () =>
        settle(() =>
          reject(new QueryException(QueryErrorCode.Internal, 'The query failed unexpectedly')),
        ),
      );
      // 'close', not 'exit': the child sends its reply and exits at once, and 'exit' can be
      // handled before the reply is read from the IPC channel ('close' waits for the channel;
      // Node docs, child_process, Event: 'close'). With 'exit', under load about 1 run in 400
      // answered 500, and 1 in 7 with a 1 MB reply.
      child.once('close', () =>
        settle(() =>
          reject(new QueryException(QueryErrorCode.Internal, 'The query failed unexpectedly')),
        ),
      );
      child.send({
        driverPath: this.driverPath,
        filename,
        sql: run.text,
        values: run.values,
        maxRows: run.limits.maxRows,
        maxBytes: run.limits.maxBytes,
      });
    });
  }
}
