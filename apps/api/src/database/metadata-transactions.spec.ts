import type { DataSource, EntityManager } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { MetadataTransactions } from './metadata-transactions';

/**
 * A data source that, like TypeORM's better-sqlite3 driver, has one connection: a transaction
 * started while another is open fails, as SQLite's BEGIN does.
 */
function fakeSqlite(type = 'better-sqlite3') {
  let open = 0;
  let depth = 0;
  const log: string[] = [];
  const dataSource = {
    options: { type },
    async transaction<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
      if (depth === 0 && open > 0)
        throw new Error('cannot start a transaction within a transaction');
      open += 1;
      depth += 1;
      try {
        return await fn({} as EntityManager);
      } finally {
        depth -= 1;
        open -= 1;
      }
    },
  } as unknown as DataSource;
  return { dataSource, log };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe('MetadataTransactions', () => {
  it('runs SQLite transactions one at a time, in call order', async () => {
    const { dataSource, log } = fakeSqlite();
    const tx = new MetadataTransactions(dataSource);
    await Promise.all(
      ['a', 'b', 'c'].map((name) =>
        tx.transaction(async () => {
          log.push(`${name} start`);
          await tick();
          log.push(`${name} end`);
        }),
      ),
    );
    expect(log).toEqual(['a start', 'a end', 'b start', 'b end', 'c start', 'c end']);
  });

  it('a failed transaction rejects its caller only; the next one runs', async () => {
    const { dataSource } = fakeSqlite();
    const tx = new MetadataTransactions(dataSource);
    const failed = tx.transaction(() => Promise.reject(new Error('boom')));
    const next = tx.transaction(() => Promise.resolve(42));
    await expect(failed).rejects.toThrow('boom');
    await expect(next).resolves.toBe(42);
  });

  it('on PostgreSQL calls the data source directly (one pooled connection each)', async () => {
    let running = 0;
    let most = 0;
    const dataSource = {
      options: { type: 'postgres' },
      async transaction<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
        running += 1;
        most = Math.max(most, running);
        try {
          return await fn({} as EntityManager);
        } finally {
          running -= 1;
        }
      },
    } as unknown as DataSource;
    const tx = new MetadataTransactions(dataSource);
    await Promise.all([tx.transaction(() => tick()), tx.transaction(() => tick())]);
    expect(most).toBe(2);
  });
});
