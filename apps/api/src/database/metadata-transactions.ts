import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource, EntityManager } from 'typeorm';

/** Marks the async context of a queued SQLite transaction body while it runs. */
interface HeldTransaction {
  active: boolean;
}

/**
 * The one way to run a transaction on the metadata store.
 *
 * On SQLite, TypeORM's better-sqlite3 driver has a single query runner for the whole process,
 * so two transactions started at once share it: the second `BEGIN` fails ("cannot start a
 * transaction within a transaction") and its rollback ends the first one, which then fails at
 * commit. Here SQLite transactions run one at a time through an in-process promise queue
 * (SQLite has one writer and one process anyway). A transaction started from inside a queued
 * body (same async context) is not queued, which would deadlock, but nested in the running one
 * (a SAVEPOINT). On PostgreSQL every transaction has its own pooled connection: this just calls
 * `dataSource.transaction`.
 *
 * Plain statements outside a transaction are not queued: on SQLite they run on the shared
 * connection, inside whatever transaction is open at that moment.
 */
@Injectable()
export class MetadataTransactions {
  private readonly serial: boolean;
  private readonly held = new AsyncLocalStorage<HeldTransaction>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.serial = dataSource.options.type !== 'postgres';
  }

  /**
   * Runs `fn` in one transaction (after every earlier transaction of this process on SQLite).
   * @returns what `fn` returns; a throw rolls the transaction back and is rethrown.
   */
  transaction<T>(fn: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (!this.serial || this.held.getStore()?.active) return this.dataSource.transaction(fn);
    const run = this.queue.then(() => {
      const held: HeldTransaction = { active: true };
      return this.held.run(held, async () => {
        try {
          return await this.dataSource.transaction(fn);
        } finally {
          // Work the body left running must not skip the queue once this transaction is over.
          held.active = false;
        }
      });
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}
