import { spawn } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import type { Knex } from 'knex';
import type { RunResult } from '../datasources/connectors/connector';
import type { AppException } from '../common/errors/app.exception';
import { mapDriverError } from './query-error-mapping';
import { QueryErrorCode, QueryException } from './query.exception';
import { SQLITE_CHILD_SOURCE } from './sqlite-child-source';
import { checkSqliteStatement } from './sqlite-statement-guard';
import { disposeConnection, knexClient, SqlExecutor, SqlRun } from './sql-executor';

type ChildReply =
  | {
      columns: { name: string; type: string }[];
      rows: Record<string, unknown>[];
      truncated: boolean;
    }
  | { error: { code: string; message: string } };

/**
 * The file the connector's pool opens and whether it opens it read-only: borrowed from a pooled
 * better-sqlite3 connection, so the datasources module's path checks (workspace folder,
 * symlinks, metadata file) and the datasource's read-only flag apply. The connection resolved
 * the real path when it opened; a pooled one may be older than a symlink put in that path's
 * place since, so the path is checked again here, for every run: when it no longer is its own
 * real path the run is refused and the connection dropped (the next one resolves and checks
 * the name anew).
 */
async function fileOf(pool: Knex): Promise<{ filename: string; readOnly: boolean }> {
  const client = knexClient(pool);
  const db = (await client.acquireConnection()) as {
    name?: unknown;
    memory?: boolean;
    readonly?: boolean;
  };
  try {
    if (typeof db.name !== 'string' || db.name === '' || db.memory) {
      throw new QueryException(
        QueryErrorCode.Unreachable,
        'The SQLite datasource has no database file',
      );
    }
    if ((await realpath(db.name).catch(() => null)) !== db.name) {
      disposeConnection(db, 'the SQLite file changed');
      throw new QueryException(
        QueryErrorCode.Unreachable,
        "The SQLite datasource's file was moved or replaced by a link; run again to check it anew",
      );
    }
    return { filename: db.name, readOnly: db.readonly === true };
  } finally {
    await client.releaseConnection(db);
  }
}

/**
 * SQLite: each statement runs in a short-lived child process (see sqlite-child-source.ts) so
 * the API's event loop is never blocked, and a statement past its timeout is stopped with
 * SIGKILL. Integers come back as BigInt (`safeIntegers`) and are encoded losslessly.
 * Cost: ~50 ms of process start per run (measured in bench/README.md).
 *
 * Statements that reach beyond the datasource's own file (ATTACH, DETACH, VACUUM INTO,
 * load_extension(), path-revealing pragmas) are refused with a 400, first by their text
 * (sqlite-statement-guard.ts), then by their compiled program in the child; a result or message
 * holding the SQLite folder's path is refused or has it removed.
 */
export class SqliteExecutor implements SqlExecutor {
  private readonly driverPath = require.resolve('better-sqlite3');
  /** The SQLite folder as configured and as resolved. */
  private readonly roots: string[];

  /** @param sqliteDir `SQLITE_DATASOURCE_DIR` (absolute). */
  constructor(sqliteDir: string) {
    let real = sqliteDir;
    try {
      real = realpathSync(sqliteDir);
    } catch {
      // The folder may appear later; until it does no run gets this far.
    }
    this.roots = [...new Set([sqliteDir, real])];
  }

  /**
   * Server paths no answer of a run on `filename` may hold: its workspace's folder
   * (`<root>/<workspace id>`, as configured and as resolved), which every path SQLite could show
   * starts with. The folder, not the root alone, so that ordinary text such as a URL ending in
   * `/data` is not mistaken for a path when the root is short. A file outside the root (tests
   * only) hides its own folder.
   */
  private hiddenPaths(filename: string): string[] {
    for (const root of this.roots) {
      if (filename.startsWith(root + sep)) {
        const workspace = filename.slice(root.length + 1).split(sep)[0];
        return [...new Set(this.roots.map((r) => join(r, workspace)))];
      }
    }
    return [dirname(filename)];
  }

  async run(pool: Knex, run: SqlRun): Promise<RunResult> {
    const inner = checkSqliteStatement(run.text);
    let file: { filename: string; readOnly: boolean };
    try {
      file = await fileOf(pool);
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
          if ('error' in reply) reject(this.mapError(reply.error, file.readOnly, timeoutMs));
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
        filename: file.filename,
        readOnly: file.readOnly,
        sql: run.text,
        inner,
        hidden: this.hiddenPaths(file.filename),
        values: run.values,
        maxRows: run.limits.maxRows,
        maxBytes: run.limits.maxBytes,
      });
    });
  }

  /** The child's error as a QueryException: refusals are 400, writes to a read-only file 422. */
  private mapError(
    error: { code: string; message: string },
    readOnly: boolean,
    timeoutMs: number,
  ): AppException {
    if (error.code === 'BASTION_REFUSED') {
      return new QueryException(QueryErrorCode.InvalidQuery, error.message);
    }
    if (readOnly && error.code.startsWith('SQLITE_READONLY')) {
      return new QueryException(
        QueryErrorCode.PermissionDenied,
        'This SQLite datasource is read-only: the statement would write to it',
      );
    }
    return mapDriverError(error, timeoutMs);
  }
}
