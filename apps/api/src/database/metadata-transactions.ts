import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { runTransactionBody } from './sqlite-connection-gate';

/**
 * The one way to run a transaction on the metadata store.
 *
 * On PostgreSQL every transaction has its own pooled connection. On SQLite the driver has one
 * connection for the process, and {@link gateSqliteQueryRunners} (installed by DatabaseModule)
 * makes transactions and plain statements take turns on it, so two transactions started at
 * once run one after the other and no other request's statement lands inside an open one.
 *
 * A body must not start another transaction nor use a repository of the data source: code that
 * may run inside one takes the caller's `EntityManager` instead (as
 * `CredentialVaultService.resetDataKey` and the repositories do); on SQLite a statement that
 * bypasses the manager waits for its own transaction (and fails after
 * `CONNECTION_WAIT_LIMIT_MS`; the test suites catch it at once, see `runTransactionBody`).
 */
@Injectable()
export class MetadataTransactions {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Runs `fn` in one transaction (on SQLite, after every earlier transaction of this process).
   * @returns what `fn` returns; a throw rolls the transaction back and is rethrown.
   */
  transaction<T>(fn: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction((manager) => runTransactionBody(() => fn(manager)));
  }
}
