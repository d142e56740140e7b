import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';

/**
 * The one way to run a transaction on the metadata store.
 *
 * On SQLite, TypeORM's better-sqlite3 driver has a single query runner for the whole process,
 * so two transactions started at once share it: the second `BEGIN` fails ("cannot start a
 * transaction within a transaction") and its rollback ends the first one, which then fails at
 * commit. Here SQLite transactions run one at a time through an in-process promise queue
 * (SQLite has one writer and one process anyway). On PostgreSQL every transaction has its own
 * pooled connection: this just calls `dataSource.transaction`.
 *
 * A body must not start another transaction: code that may run inside one takes the caller's
 * `EntityManager` instead (as `CredentialVaultService.resetDataKey` and the repositories do);
 * on SQLite a nested call would wait for its own caller. Nesting is not detected with an
 * AsyncLocalStorage on purpose: on Node 20 it turns on promise hooks for the whole process,
 * which cost 12 % of query-run throughput (bench/README.md, "Query proxy").
 *
 * Plain statements outside a transaction are not queued: on SQLite they run on the shared
 * connection, inside whatever transaction is open at that moment.
 */
@Injectable()
export class MetadataTransactions {
  private readonly serial: boolean;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.serial = dataSource.options.type !== 'postgres';
  }

  /**
   * Runs `fn` in one transaction (after every earlier transaction of this process on SQLite).
   * @returns what `fn` returns; a throw rolls the transaction back and is rethrown.
   */
  transaction<T>(fn: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (!this.serial) return this.dataSource.transaction(fn);
    const run = this.queue.then(() => this.dataSource.transaction(fn));
    this.queue = run.catch(() => undefined);
    return run;
  }
}
