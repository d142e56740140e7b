import type { DataSource } from 'typeorm';

/**
 * Placeholder of the n-th bound value (1-based) for the metadata store's driver: `$n` on
 * PostgreSQL, `?` on SQLite (better-sqlite3, positional). Repositories call it once at
 * construction to build their hot-path statements; values are always bound, never spliced.
 */
export function placeholderOf(dataSource: DataSource): (n: number) => string {
  return dataSource.options.type === 'postgres' ? (n) => `$${n}` : () => '?';
}

/**
 * An integer column of a raw row as a number: node-postgres returns `integer` as a number but
 * `bigint`/`numeric` as a string, better-sqlite3 returns numbers.
 * @returns null for SQL NULL (or a missing column).
 */
export function intOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}
