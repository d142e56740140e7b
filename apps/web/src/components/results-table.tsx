import { DataTable, type DataTableColumn } from './data-table/data-table';

/** A result column: its name and, for query results, the database's type name. */
export type ResultColumn = DataTableColumn;

/** Columns from the rows when the server did not name them (e.g. a table bound to any list). */
export function columnsOf(rows: unknown[], limit = 200): ResultColumn[] {
  const names = new Set<string>();
  for (const r of rows.slice(0, limit)) {
    if (r && typeof r === 'object' && !Array.isArray(r))
      Object.keys(r).forEach((k) => names.add(k));
  }
  return [...names].map((name) => ({ name }));
}

/**
 * The result grid of the query panel, the canvas and the viewer: the shared data table
 * (data-table/data-table.tsx; sort, search, resize, copy, CSV, virtual rows or pages).
 */
export const ResultsTable = DataTable;
