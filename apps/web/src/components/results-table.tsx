import { useVirtualizer } from '@tanstack/react-virtual';
import { useMemo, useRef, useState } from 'react';
import { toDisplayText } from '../lib/bindings/evaluate-binding';

export interface ResultColumn {
  name: string;
  type?: string;
}

type Sort = { column: string; dir: 'asc' | 'desc' } | null;

const ROW_HEIGHT = 30;

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1; // nulls last
  if (b === null || b === undefined) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = toDisplayText(a);
  const sb = toDisplayText(b);
  // Lossless numbers arrive as strings (int8, numeric): compare them as numbers when both are.
  const na = Number(sa);
  const nb = Number(sb);
  if (sa.trim() !== '' && sb.trim() !== '' && Number.isFinite(na) && Number.isFinite(nb))
    return na - nb;
  return sa.localeCompare(sb);
}

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
 * A sortable, virtualized result grid: only the visible rows are in the DOM, so thousands of
 * rows scroll smoothly. `null` shows as a dim "null", distinct from an empty string.
 */
export function ResultsTable({
  columns,
  rows,
  height = 320,
  label,
  onRowClick,
  selectedIndex,
}: {
  columns: ResultColumn[];
  rows: Record<string, unknown>[];
  height?: number | string;
  label: string;
  onRowClick?: (row: Record<string, unknown>, index: number) => void;
  selectedIndex?: number | null;
}) {
  const [sort, setSort] = useState<Sort>(null);
  const sorted = useMemo(() => {
    const indexed = rows.map((row, index) => ({ row, index }));
    if (!sort) return indexed;
    const s = [...indexed].sort((a, b) => compare(a.row[sort.column], b.row[sort.column]));
    return sort.dir === 'asc' ? s : s.reverse();
  }, [rows, sort]);
  const scrollRef = useRef<HTMLDivElement>(null);
  // eslint-disable-next-line react-hooks/incompatible-library -- the virtualizer is used as documented
  const virtualizer = useVirtualizer({
    count: sorted.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  const template = `repeat(${Math.max(columns.length, 1)}, minmax(120px, 1fr))`;
  const toggle = (name: string) =>
    setSort((s) =>
      s?.column !== name
        ? { column: name, dir: 'asc' }
        : s.dir === 'asc'
          ? { column: name, dir: 'desc' }
          : null,
    );

  return (
    <div
      className="results-table"
      role="table"
      aria-label={label}
      aria-rowcount={rows.length + 1}
      ref={scrollRef}
      style={{ height, overflow: 'auto' }}
    >
      <div className="rt-head" role="rowgroup">
        <div className="rt-row" role="row" style={{ gridTemplateColumns: template }}>
          {columns.map((c) => {
            const dir = sort?.column === c.name ? sort.dir : null;
            return (
              <div
                key={c.name}
                role="columnheader"
                aria-sort={dir === 'asc' ? 'ascending' : dir === 'desc' ? 'descending' : 'none'}
                className="rt-cell rt-header"
              >
                <button type="button" className="rt-sort" onClick={() => toggle(c.name)}>
                  {c.name}
                  {dir && <span aria-hidden="true">{dir === 'asc' ? ' ▲' : ' ▼'}</span>}
                </button>
                {c.type && <span className="rt-type">{c.type}</span>}
              </div>
            );
          })}
        </div>
      </div>
      <div
        role="rowgroup"
        style={{ height: virtualizer.getTotalSize(), position: 'relative' }}
        className="rt-body"
      >
        {virtualizer.getVirtualItems().map((v) => {
          const { row, index } = sorted[v.index];
          return (
            <div
              key={v.key}
              role="row"
              aria-rowindex={v.index + 2}
              aria-selected={selectedIndex === index ? true : undefined}
              className={`rt-row${onRowClick ? ' clickable' : ''}${selectedIndex === index ? ' selected' : ''}`}
              style={{
                gridTemplateColumns: template,
                position: 'absolute',
                top: 0,
                left: 0,
                right: 0,
                height: ROW_HEIGHT,
                transform: `translateY(${v.start}px)`,
              }}
              tabIndex={onRowClick ? 0 : undefined}
              onClick={onRowClick ? () => onRowClick(row, index) : undefined}
              onKeyDown={
                onRowClick
                  ? (e) => {
                      if (e.key === 'Enter' || e.key === ' ') {
                        e.preventDefault();
                        onRowClick(row, index);
                      }
                    }
                  : undefined
              }
            >
              {columns.map((c) => {
                const value = row[c.name];
                return (
                  <div key={c.name} role="cell" className="rt-cell" title={toDisplayText(value)}>
                    {value === null || value === undefined ? (
                      <span className="rt-null">null</span>
                    ) : (
                      toDisplayText(value)
                    )}
                  </div>
                );
              })}
            </div>
          );
        })}
      </div>
    </div>
  );
}
