import { AsyncLocalStorage } from 'node:async_hooks';
import type BetterSqlite3 from 'better-sqlite3';
import type { DataSource, QueryRunner } from 'typeorm';
import type { IsolationLevel } from 'typeorm/driver/types/IsolationLevel';

/**
 * How long a statement or transaction waits for the SQLite connection before it fails. SQLite
 * transactions here last milliseconds (the longest hashes one password, ~0.1 s), so reaching
 * this means a transaction body is waiting for a statement it issued itself, past its manager:
 * failing that statement rolls the body back and frees the connection for everyone else.
 */
export const CONNECTION_WAIT_LIMIT_MS = 10_000;

/** Thrown when the connection stayed busy for {@link CONNECTION_WAIT_LIMIT_MS}. */
export class MetadataStoreBusyError extends Error {
  constructor(what: string, waitedMs: number) {
    super(`metadata store: ${what} waited ${waitedMs} ms for the SQLite connection`);
    this.name = 'MetadataStoreBusyError';
  }
}

/**
 * Test-only check (BASTION_STRICT_TRANSACTIONS=1, set by the API's vitest configs): a statement
 * issued from inside a transaction body but not through the body's manager throws at once,
 * naming its call site, instead of waiting for its own transaction. Off in production because
 * AsyncLocalStorage turns on promise hooks for the whole process on Node 20 (-12 % run
 * throughput, bench/README.md).
 */
const strictBodies =
  process.env.BASTION_STRICT_TRANSACTIONS === '1' ? new AsyncLocalStorage<true>() : undefined;

/**
 * Runs a transaction `body` so that, in strict mode, statements that bypass its manager are
 * caught. Used by MetadataTransactions.
 */
export function runTransactionBody<T>(body: () => Promise<T>): Promise<T> {
  return strictBodies ? strictBodies.run(true, body) : body();
}

/**
 * FIFO lock over the one SQLite connection: `acquire()` resolves, in call order, with the
 * function that hands the connection to the next holder, or rejects after the wait limit (the
 * abandoned turn is then passed on at once).
 */
class ConnectionGate {
  private tail: Promise<void> = Promise.resolve();

  constructor(private readonly waitLimitMs: number) {}

  acquire(what: string): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const previous = this.tail;
    this.tail = held;
    return new Promise((resolve, reject) => {
      let abandoned = false;
      const timer = setTimeout(() => {
        abandoned = true;
        reject(new MetadataStoreBusyError(what, this.waitLimitMs));
      }, this.waitLimitMs);
      void previous.then(() => {
        clearTimeout(timer);
        if (abandoned) release();
        else resolve(release);
      });
    });
  }
}

/** The gate of each data source {@link gateSqliteQueryRunners} was installed on. */
const gates = new WeakMap<DataSource, ConnectionGate>();

/**
 * Runs `fn` on the gated data source's native better-sqlite3 connection, alone: after every
 * earlier statement and transaction of this process, and nothing else runs on the connection
 * until it returns. `fn` is synchronous (better-sqlite3 is), so a transaction it runs with
 * `db.transaction(...).immediate()` holds the connection for its statements only, without the
 * promise hops of TypeORM's query runner between them (the audit group commit, bench/README.md).
 * @returns what `fn` returns; a throw is rethrown (a `db.transaction` rolls back first).
 * @throws Error when the gate is not installed on `dataSource` (PostgreSQL, or a bug);
 *   {@link MetadataStoreBusyError} after {@link CONNECTION_WAIT_LIMIT_MS}.
 */
export async function withSqliteConnection<T>(
  dataSource: DataSource,
  fn: (db: BetterSqlite3.Database) => T,
): Promise<T> {
  const gate = gates.get(dataSource);
  if (!gate) throw new Error('metadata store: the SQLite connection gate is not installed');
  if (strictBodies?.getStore()) {
    throw new Error('metadata store: a synchronous SQLite use inside a transaction body');
  }
  const done = await gate.acquire('a synchronous use');
  try {
    const db = (dataSource.driver as unknown as { databaseConnection: BetterSqlite3.Database })
      .databaseConnection;
    return fn(db);
  } finally {
    done();
  }
}

/** The driver's shared runner, with the transaction state TypeORM keeps on it. */
type SharedRunner = QueryRunner & { transactionDepth: number; isTransactionActive: boolean };

/**
 * Makes TypeORM's better-sqlite3 data source safe for concurrent requests. Call once, before
 * `initialize()` (so migrations go through it too).
 *
 * Why: the driver has ONE query runner (one connection) for the whole process. While a
 * transaction awaits between its statements, any other request's statement ran on that same
 * connection, inside the open transaction: a rollback silently undid another request's
 * committed-looking write (a session, a counter, an audit entry), a plain read saw
 * uncommitted rows, and `save()` skipped its own transaction because the shared runner
 * reported one as active.
 *
 * How: every `createQueryRunner()` returns a handle on the shared runner. A handle that starts
 * a transaction holds the connection (FIFO) until its commit or rollback ends it; a statement
 * from any other handle waits for the connection, then runs alone (better-sqlite3 runs it
 * synchronously). Inside a transaction the body's `manager` uses the holding handle, so it never
 * waits for itself. A body must not bypass its manager (a repository of the data source,
 * `dataSource.query`, another transaction): such a statement would wait for its own
 * transaction, so it fails after {@link CONNECTION_WAIT_LIMIT_MS}, and in the test suites at
 * once ({@link runTransactionBody}; `options.strict: false` turns that off, `options.waitLimitMs`
 * shortens the limit, both for tests). PostgreSQL is not touched: each transaction there has its
 * own pooled connection.
 */
export function gateSqliteQueryRunners(
  dataSource: DataSource,
  options: { waitLimitMs?: number; strict?: boolean } = {},
): void {
  const gate = new ConnectionGate(options.waitLimitMs ?? CONNECTION_WAIT_LIMIT_MS);
  gates.set(dataSource, gate);
  const native = () =>
    (dataSource.driver as unknown as { databaseConnection: { inTransaction: boolean } })
      .databaseConnection;
  const strict = options.strict ?? true;
  const create = dataSource.createQueryRunner.bind(dataSource);

  const checkNotInBody = (sql: string): void => {
    if (strict && strictBodies?.getStore()) {
      throw new Error(
        `metadata store: a statement inside a transaction body bypassed the body's manager ` +
          `(it would wait for its own transaction): ${sql.slice(0, 80)}`,
      );
    }
  };

  dataSource.createQueryRunner = (mode) => {
    const runner = create(mode) as SharedRunner;
    /** Set while this handle holds the connection for its transaction. */
    let release: (() => void) | undefined;

    /**
     * Hands the connection on once the transaction is over. SQLite itself may end it (a disk
     * I/O error, a full disk, `INSERT OR ROLLBACK`); TypeORM's own ROLLBACK then fails and leaves
     * its depth at 1, so the native connection's state decides, not TypeORM's.
     */
    const letGo = (): void => {
      if (!release) return;
      if (runner.transactionDepth > 0 && native().inTransaction) return;
      runner.transactionDepth = 0;
      runner.isTransactionActive = false;
      release();
      release = undefined;
    };

    const query = async (sql: string, parameters?: unknown[], structured?: boolean) => {
      if (release) {
        // IMMEDIATE takes the write lock at BEGIN, where busy_timeout applies. A deferred
        // transaction that reads first and writes later fails at once ("database is locked")
        // when another process (the CLI, a second server) committed in between.
        const text = sql === 'BEGIN TRANSACTION' ? 'BEGIN IMMEDIATE TRANSACTION' : sql;
        return runner.query(text, parameters, structured as true);
      }
      checkNotInBody(sql);
      const done = await gate.acquire('a statement');
      try {
        return await runner.query(sql, parameters, structured as true);
      } finally {
        done();
      }
    };

    const startTransaction = async (isolation?: IsolationLevel): Promise<void> => {
      if (!release) {
        checkNotInBody('BEGIN');
        release = await gate.acquire('a transaction');
      }
      try {
        await runner.startTransaction.call(handle, isolation);
      } catch (err) {
        letGo();
        throw err;
      }
    };

    const endTransaction =
      (end: 'commitTransaction' | 'rollbackTransaction') => async (): Promise<void> => {
        try {
          await runner[end].call(handle);
        } finally {
          // A failed COMMIT keeps the transaction open: the caller's rollback ends it.
          letGo();
        }
      };
    const commitTransaction = endTransaction('commitTransaction');
    const rollbackTransaction = endTransaction('rollbackTransaction');

    const handle: QueryRunner = new Proxy(runner, {
      get(target, key, receiver) {
        switch (key) {
          case 'query':
            return query;
          case 'startTransaction':
            return startTransaction;
          case 'commitTransaction':
            return commitTransaction;
          case 'rollbackTransaction':
            return rollbackTransaction;
          case 'isTransactionActive':
            // Another handle's open transaction is not ours: `save()` must start its own.
            return release !== undefined && target.isTransactionActive;
          case 'manager':
            return manager;
          default:
            return Reflect.get(target, key, receiver) as unknown;
        }
      },
    });
    const manager = dataSource.createEntityManager(handle);
    return handle;
  };
}
