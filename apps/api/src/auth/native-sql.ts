import type { DataSource } from 'typeorm';

/**
 * Builds a parameterised statement for the metadata store's driver: `p(value)` appends a bound
 * value and returns its placeholder (`$n` on PostgreSQL, `?` on SQLite). Values are never
 * spliced into the SQL text.
 */
export function nativeStatement(dataSource: DataSource): {
  p: (value: unknown) => string;
  params: unknown[];
} {
  const postgres = dataSource.options.type === 'postgres';
  const params: unknown[] = [];
  return {
    params,
    p: (value) => {
      params.push(value);
      return postgres ? `$${params.length}` : '?';
    },
  };
}

/** Rows of a `... RETURNING` statement, whatever the driver wraps them in. */
export function returnedRows<T>(result: unknown): T[] {
  // TypeORM returns the rows for PostgreSQL and for SQLite `RETURNING`; some drivers wrap them
  // as [rows, affected].
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0])) {
    return result[0] as T[];
  }
  return Array.isArray(result) ? (result as T[]) : [];
}
