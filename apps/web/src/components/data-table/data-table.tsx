import {
  type Cell,
  type ColumnDef,
  type ColumnSizingState,
  getCoreRowModel,
  getFilteredRowModel,
  getPaginationRowModel,
  getSortedRowModel,
  type PaginationState,
  type Row,
  type SortingState,
  useReactTable,
} from '@tanstack/react-table';
import { useVirtualizer } from '@tanstack/react-virtual';
import {
  type KeyboardEvent,
  useCallback,
  useDeferredValue,
  useEffect,
  useId,
  memo,
  useLayoutEffect,
  useMemo,
  useRef,
  useState,
} from 'react';
import { csvFileName, downloadCsv, toCsv } from './csv-export';
import {
  browserLocale,
  type CellLocale,
  type ColumnKind,
  compareValues,
  displayCell,
  formatJson,
  kindOfType,
  kindOfValues,
  rawText,
} from './format-cell';
import './data-table.css';

export interface DataTableColumn {
  name: string;
  /** The database's type name (`int8`, `timestamptz`...); decides formatting when given. */
  type?: string;
}

type DataRow = Record<string, unknown>;

interface ColumnMeta {
  kind: ColumnKind;
  type?: string;
}

/** Height of a body row, px: one line of text; a row with an expanded JSON cell is taller. */
const ROW_HEIGHT = 30;
const EXPANDED_HEIGHT = 260;
const MIN_WIDTH = 60;
const MAX_WIDTH = 2000;
const PAGE_SIZES = [10, 25, 50, 100, 250];

/** A first width for a column from its name and a sample of its shown values (px). */
function initialWidth(name: string, texts: string[]): number {
  const longest = texts.reduce((m, t) => Math.max(m, t.length), 0);
  const px = Math.max(name.length * 8 + 36, Math.min(longest, 48) * 7.2 + 24);
  return Math.round(Math.min(360, Math.max(80, px)));
}

/** Copies text to the clipboard (async API; a hidden textarea where it is unavailable). */
async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    return;
  } catch {
    // Not a secure context or permission refused: the older command still works on a click.
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.append(area);
  area.select();
  document.execCommand('copy');
  area.remove();
}

interface RowEvents {
  rowClick(row: Row<DataRow>): void;
  focusCell(rowPos: number, colPos: number): void;
  keyDown(e: KeyboardEvent, rowPos: number, colPos: number, cell: Cell<DataRow, unknown>): void;
  toggle(key: string): void;
}

/** One body row; memoized: props are equal while the row stays in view. */
const BodyRow = memo(function BodyRow({
  row,
  position,
  top,
  height,
  template,
  width,
  selected,
  clickable,
  activeCol,
  expandedKeys,
  loc,
  events,
}: {
  row: Row<DataRow>;
  /** Position in the shown rows (sorted, filtered, paged). */
  position: number;
  top: number;
  height: number;
  template: string;
  width: number;
  selected: boolean;
  clickable: boolean;
  /** Column position of the focusable cell when this row holds it, else -1. */
  activeCol: number;
  /** `|col|col` of this row's open JSON cells. */
  expandedKeys: string;
  loc: CellLocale;
  events: RowEvents;
}) {
  const open = new Set(expandedKeys.split('|').filter(Boolean));
  return (
    <div
      role="row"
      aria-rowindex={position + 2}
      aria-selected={selected ? true : undefined}
      className={`dt-row${clickable ? ' clickable' : ''}${selected ? ' selected' : ''}`}
      style={{
        gridTemplateColumns: template,
        width,
        height,
        transform: `translateY(${top}px)`,
      }}
      onClick={clickable ? () => events.rowClick(row) : undefined}
    >
      {row.getVisibleCells().map((cell, colPos) => {
        const meta = cell.column.columnDef.meta as ColumnMeta | undefined;
        const d = displayCell(cell.getValue(), meta?.kind ?? 'text', loc);
        const isOpen = d.json !== undefined && open.has(cell.column.id);
        return (
          <div
            key={cell.id}
            role="cell"
            aria-colindex={colPos + 1}
            data-cell={`${position}:${colPos}`}
            tabIndex={colPos === activeCol ? 0 : -1}
            className={`dt-cell${d.numeric ? ' dt-num' : ''}${isOpen ? ' open' : ''}`}
            title={d.json === undefined && !d.isNull ? rawText(cell.getValue()) : undefined}
            onFocus={(e) => {
              if (e.target === e.currentTarget) events.focusCell(position, colPos);
            }}
            onKeyDown={(e) => events.keyDown(e, position, colPos, cell)}
          >
            {d.isNull ? (
              <span className="dt-null">null</span>
            ) : d.json !== undefined ? (
              <>
                <button
                  type="button"
                  className="dt-json-toggle"
                  aria-expanded={isOpen}
                  tabIndex={-1}
                  onClick={(e) => {
                    e.stopPropagation();
                    events.toggle(`${row.id}:${cell.column.id}`);
                  }}
                >
                  <span aria-hidden="true">{isOpen ? '▾ ' : '▸ '}</span>
                  {d.text}
                </button>
                {isOpen && (
                  // Focusable: a scrolling region must be reachable by keyboard.
                  <pre className="dt-json" tabIndex={0}>
                    {formatJson(d.json)}
                  </pre>
                )}
              </>
            ) : (
              d.text
            )}
          </div>
        );
      })}
    </div>
  );
});

/**
 * The data table of the editor's result grid, the canvas table and the viewer's table, on
 * TanStack Table (sorting, search, pagination, column sizing) with TanStack Virtual rows.
 *
 * - One width per column from the column sizing state: the header row and every body row use
 *   the same CSS grid template, so header and cells line up to the pixel, also after a resize.
 * - Sort by clicking a header (ascending, descending, none; `aria-sort`); search filters the
 *   loaded rows (case-insensitive, on the value as given and as shown).
 * - `pageSize` > 0 pages the rows (with a page-size setting); otherwise all rows scroll,
 *   virtualized (only visible rows are in the DOM; 10,000 x 20 scrolls smoothly).
 * - Numbers right-aligned in the viewer's locale with every digit kept; dates in the viewer's
 *   locale and time zone; JSON objects/arrays collapsed to `{3 keys}` / `[5 items]`, expandable.
 * - Cells are focusable (one tab stop, arrow keys move); Ctrl/Cmd+C or "Copy cell" copies the
 *   value as given; "Export CSV" downloads the loaded rows matching the search, sorted.
 */
export function DataTable({
  columns,
  rows,
  label,
  height = 320,
  onRowClick,
  selectedIndex,
  pageSize = 0,
  searchable = true,
  defaultSort,
  locale,
}: {
  columns: DataTableColumn[];
  rows: DataRow[];
  /** Accessible name of the table; also the CSV file name. */
  label: string;
  height?: number | string;
  onRowClick?: (row: DataRow, index: number) => void;
  /** Index in `rows` of the selected row. */
  selectedIndex?: number | null;
  /** Rows per page; 0 scrolls all rows. */
  pageSize?: number;
  searchable?: boolean;
  defaultSort?: { column: string; desc: boolean } | null;
  /** The viewer's locale and time zone; the browser's by default. */
  locale?: CellLocale;
}) {
  const loc = useMemo(() => locale ?? browserLocale(), [locale]);
  const searchId = useId();

  const { defs, kinds } = useMemo(() => {
    const sample = rows.slice(0, 200);
    const kinds: Record<string, ColumnKind> = {};
    const defs = columns.map((c): ColumnDef<DataRow> => {
      const values = sample.map((r) => r[c.name]);
      const kind = kindOfType(c.type) ?? kindOfValues(values);
      const texts = values.slice(0, 50).map((v) => displayCell(v, kind, loc).text);
      const meta: ColumnMeta = { kind, type: c.type };
      kinds[c.name] = kind;
      return {
        id: c.name,
        accessorFn: (r: DataRow) => r[c.name],
        header: c.name,
        size: initialWidth(c.name, texts),
        minSize: MIN_WIDTH,
        maxSize: MAX_WIDTH,
        sortingFn: (a: Row<DataRow>, b: Row<DataRow>, id: string) =>
          compareValues(a.getValue(id), b.getValue(id)),
        meta,
      };
    });
    return { defs, kinds };
  }, [columns, rows, loc]);

  const [sorting, setSorting] = useState<SortingState>(
    defaultSort ? [{ id: defaultSort.column, desc: defaultSort.desc }] : [],
  );
  const [search, setSearch] = useState('');
  const query = useDeferredValue(search.trim().toLowerCase());
  const [sizing, setSizing] = useState<ColumnSizingState>({});
  const paged = pageSize > 0;
  const [pagination, setPagination] = useState<PaginationState>({
    pageIndex: 0,
    pageSize: paged ? pageSize : 1,
  });
  useEffect(() => {
    if (paged) setPagination({ pageIndex: 0, pageSize });
  }, [paged, pageSize]);

  // eslint-disable-next-line react-hooks/incompatible-library -- TanStack Table is used as documented
  const table = useReactTable<DataRow>({
    data: rows,
    columns: defs,
    state: { sorting, globalFilter: query, columnSizing: sizing, pagination },
    onSortingChange: setSorting,
    onColumnSizingChange: setSizing,
    onPaginationChange: setPagination,
    getRowId: (_row, index) => String(index),
    getCoreRowModel: getCoreRowModel(),
    getSortedRowModel: getSortedRowModel(),
    getFilteredRowModel: getFilteredRowModel(),
    getPaginationRowModel: paged ? getPaginationRowModel() : undefined,
    manualPagination: !paged,
    autoResetPageIndex: true,
    sortDescFirst: false,
    enableSortingRemoval: true,
    columnResizeMode: 'onChange',
    // Every column is searchable, JSON and null-led columns too (the default looks at row 1).
    getColumnCanGlobalFilter: () => true,
    globalFilterFn: (row, columnId, q: string) => {
      if (!q) return true;
      const v = row.getValue(columnId);
      if (v === null || v === undefined) return false;
      if (rawText(v).toLowerCase().includes(q)) return true;
      const kind = kinds[columnId];
      if (kind === 'number' || kind === 'datetime' || kind === 'date') {
        return displayCell(v, kind, loc).text.toLowerCase().includes(q);
      }
      return false;
    },
  });

  const leafColumns = table.getVisibleLeafColumns();
  const template = leafColumns.map((c) => `${c.getSize()}px`).join(' ') || '1fr';
  const totalWidth = table.getTotalSize();
  const filteredRows = table.getPrePaginationRowModel().rows;
  const viewRows = table.getRowModel().rows;

  const scrollRef = useRef<HTMLDivElement>(null);
  const headRef = useRef<HTMLDivElement>(null);
  const [headHeight, setHeadHeight] = useState(0);
  useLayoutEffect(() => {
    setHeadHeight(headRef.current?.offsetHeight ?? 0);
  }, []);

  // Expanded JSON cells by `${rowId}:${columnId}`; their rows are EXPANDED_HEIGHT tall.
  const [expanded, setExpanded] = useState<Set<string>>(() => new Set());
  const expandedRows = useMemo(
    () => new Set([...expanded].map((k) => k.slice(0, k.indexOf(':')))),
    [expanded],
  );
  // Stable between renders: the virtualizer rebuilds all its measurements when this changes.
  const getItemKey = useCallback((i: number) => viewRows[i]?.id ?? i, [viewRows]);
  const virtualizer = useVirtualizer({
    count: viewRows.length,
    getScrollElement: () => scrollRef.current,
    // Row heights are known, never measured: measuring each new row forced a layout per row
    // and made fast scrolls slower (bench/README.md "Data table").
    estimateSize: (i) => (expandedRows.has(viewRows[i]?.id) ? EXPANDED_HEIGHT : ROW_HEIGHT),
    getItemKey,
    overscan: 10,
    scrollMargin: headHeight,
  });

  useEffect(() => {
    virtualizer.measure();
  }, [virtualizer, expandedRows, viewRows]);

  // Keyboard position: one focusable cell (roving tabindex), by row position in the view.
  const [active, setActive] = useState<{ row: number; col: number }>({ row: 0, col: 0 });
  const pendingFocus = useRef(false);
  const [copied, setCopied] = useState('');
  const activeRow = Math.min(active.row, Math.max(viewRows.length - 1, 0));
  const activeCol = Math.min(active.col, Math.max(leafColumns.length - 1, 0));

  useEffect(() => {
    if (!pendingFocus.current) return;
    const el = scrollRef.current?.querySelector<HTMLElement>(
      `[data-cell="${activeRow}:${activeCol}"]`,
    );
    if (el) {
      pendingFocus.current = false;
      el.focus();
    } else {
      virtualizer.scrollToIndex(activeRow, { align: 'auto' });
    }
  });

  const copyCell = (cell: Cell<DataRow, unknown> | undefined) => {
    if (!cell) return;
    void copyText(rawText(cell.getValue())).then(() => setCopied(`Copied ${cell.column.id}`));
  };
  const activeCell = viewRows[activeRow]?.getVisibleCells()[activeCol];

  const move = (row: number, col: number) => {
    pendingFocus.current = true;
    setActive({
      row: Math.max(0, Math.min(row, viewRows.length - 1)),
      col: Math.max(0, Math.min(col, leafColumns.length - 1)),
    });
  };

  const onCellKey = (
    e: KeyboardEvent,
    rowPos: number,
    colPos: number,
    cell: Cell<DataRow, unknown>,
  ) => {
    if (e.target !== e.currentTarget) return; // keys inside an open JSON view are its own
    const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? 300) / ROW_HEIGHT) - 1);
    if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'c') {
      if (window.getSelection()?.toString()) return; // a text selection copies itself
      e.preventDefault();
      copyCell(cell);
      return;
    }
    const moves: Record<string, [number, number]> = {
      ArrowDown: [rowPos + 1, colPos],
      ArrowUp: [rowPos - 1, colPos],
      ArrowRight: [rowPos, colPos + 1],
      ArrowLeft: [rowPos, colPos - 1],
      PageDown: [rowPos + page, colPos],
      PageUp: [rowPos - page, colPos],
      Home: e.ctrlKey ? [0, 0] : [rowPos, 0],
      End: e.ctrlKey
        ? [viewRows.length - 1, leafColumns.length - 1]
        : [rowPos, leafColumns.length - 1],
    };
    const to = moves[e.key];
    if (to) {
      e.preventDefault();
      move(to[0], to[1]);
      return;
    }
    if ((e.key === 'Enter' || e.key === ' ') && onRowClick) {
      e.preventDefault();
      onRowClick(cell.row.original, cell.row.index);
    }
  };

  const toggleExpanded = (key: string) =>
    setExpanded((s) => {
      const next = new Set(s);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });

  // Expanded column ids per row id, as one string: a stable prop for the memoized rows.
  const expandedByRow = useMemo(() => {
    const m = new Map<string, string>();
    for (const k of expanded) {
      const i = k.indexOf(':');
      m.set(k.slice(0, i), `${m.get(k.slice(0, i)) ?? ''}|${k.slice(i + 1)}`);
    }
    return m;
  }, [expanded]);
  // Row events through a ref to the latest handlers, so the rows' props stay equal between
  // renders and a scroll re-renders only the rows that appear.
  const latest = useRef<RowEvents | null>(null);
  useLayoutEffect(() => {
    latest.current = {
      rowClick: (row) => onRowClick?.(row.original, row.index),
      focusCell: (rowPos, colPos) =>
        setActive((a) => (a.row === rowPos && a.col === colPos ? a : { row: rowPos, col: colPos })),
      keyDown: onCellKey,
      toggle: toggleExpanded,
    };
  });
  const events = useMemo<RowEvents>(
    () => ({
      rowClick: (row) => latest.current?.rowClick(row),
      focusCell: (r, c) => latest.current?.focusCell(r, c),
      keyDown: (e, r, c, cell) => latest.current?.keyDown(e, r, c, cell),
      toggle: (key) => latest.current?.toggle(key),
    }),
    [],
  );

  const exportCsv = () => {
    const names = leafColumns.map((c) => c.id);
    downloadCsv(
      toCsv(
        names,
        filteredRows.map((r) => r.original),
      ),
      csvFileName(label),
    );
  };

  const items = virtualizer.getVirtualItems();
  const shown = filteredRows.length;
  return (
    <div className="data-table" style={{ height }}>
      <span id={`${searchId}-resize-help`} className="visually-hidden">
        Sort with Enter; Shift+Left or Right Arrow resizes the column (with Ctrl: 50 pixels).
      </span>
      <div className="dt-toolbar">
        {searchable && (
          <input
            id={searchId}
            type="search"
            className="dt-search"
            placeholder="Search"
            aria-label={`Search ${label}`}
            value={search}
            onChange={(e) => setSearch(e.target.value)}
          />
        )}
        <span className="dt-count" role="status">
          {shown === rows.length
            ? `${rows.length} ${rows.length === 1 ? 'row' : 'rows'}`
            : `${shown} of ${rows.length} rows`}
          {copied && <span className="dt-copied"> · {copied}</span>}
        </span>
        <button
          type="button"
          className="dt-button"
          disabled={!activeCell}
          onClick={() => copyCell(activeCell)}
        >
          Copy cell
        </button>
        <button type="button" className="dt-button" onClick={exportCsv}>
          Export CSV
        </button>
      </div>
      <div
        className="dt-scroll"
        role="table"
        aria-label={label}
        aria-rowcount={shown + 1}
        aria-colcount={leafColumns.length}
        ref={scrollRef}
        style={{ scrollPaddingTop: headHeight }}
      >
        <div className="dt-head" role="rowgroup" ref={headRef} style={{ width: totalWidth }}>
          {table.getHeaderGroups().map((group) => (
            <div
              key={group.id}
              role="row"
              aria-rowindex={1}
              className="dt-row"
              style={{ gridTemplateColumns: template, width: totalWidth }}
            >
              {group.headers.map((header, colPos) => {
                const col = header.column;
                const dir = col.getIsSorted();
                const meta = col.columnDef.meta as ColumnMeta | undefined;
                const size = header.getSize();
                return (
                  <div
                    key={header.id}
                    role="columnheader"
                    aria-colindex={colPos + 1}
                    aria-sort={dir === 'asc' ? 'ascending' : dir === 'desc' ? 'descending' : 'none'}
                    className={`dt-cell dt-header${meta?.kind === 'number' ? ' dt-num' : ''}`}
                    data-column={col.id}
                  >
                    <button
                      type="button"
                      className="dt-sort"
                      aria-describedby={`${searchId}-resize-help`}
                      onClick={col.getToggleSortingHandler()}
                      onKeyDown={(e) => {
                        if (!e.shiftKey) return;
                        const step = e.ctrlKey || e.metaKey ? 50 : 10;
                        const delta =
                          e.key === 'ArrowRight' ? step : e.key === 'ArrowLeft' ? -step : 0;
                        if (!delta) return;
                        e.preventDefault();
                        setSizing((s) => ({
                          ...s,
                          [col.id]: Math.max(MIN_WIDTH, Math.min(MAX_WIDTH, size + delta)),
                        }));
                      }}
                    >
                      {col.id}
                      {dir && <span aria-hidden="true">{dir === 'asc' ? ' ▲' : ' ▼'}</span>}
                    </button>
                    {meta?.type && <span className="dt-type">{meta.type}</span>}
                    {/* Mouse handle; keyboard users resize from the header button (Shift+arrows):
                        a named handle would add a label holding the column name to the page. */}
                    <div
                      aria-hidden="true"
                      className={`dt-resizer${col.getIsResizing() ? ' resizing' : ''}`}
                      onMouseDown={header.getResizeHandler()}
                      onTouchStart={header.getResizeHandler()}
                      onDoubleClick={() => col.resetSize()}
                    />
                  </div>
                );
              })}
            </div>
          ))}
        </div>
        <div
          role="rowgroup"
          className="dt-body"
          style={{ height: virtualizer.getTotalSize(), width: totalWidth }}
        >
          {items.map((v) => {
            const row = viewRows[v.index];
            return (
              <BodyRow
                key={v.key}
                row={row}
                position={v.index}
                top={v.start - headHeight}
                height={v.size}
                template={template}
                width={totalWidth}
                selected={selectedIndex === row.index}
                clickable={onRowClick !== undefined}
                activeCol={v.index === activeRow ? activeCol : -1}
                expandedKeys={expandedByRow.get(row.id) ?? ''}
                loc={loc}
                events={events}
              />
            );
          })}
        </div>
      </div>
      {rows.length > 0 && shown === 0 && <p className="dt-empty muted">No rows match the search</p>}
      {paged && (
        <nav className="dt-pager" aria-label={`${label} pages`}>
          <button
            type="button"
            className="dt-button"
            onClick={() => table.previousPage()}
            disabled={!table.getCanPreviousPage()}
          >
            Previous
          </button>
          <span>
            Page {table.getState().pagination.pageIndex + 1} of {Math.max(table.getPageCount(), 1)}
          </span>
          <button
            type="button"
            className="dt-button"
            onClick={() => table.nextPage()}
            disabled={!table.getCanNextPage()}
          >
            Next
          </button>
          <label>
            Rows per page{' '}
            <select
              value={table.getState().pagination.pageSize}
              onChange={(e) => table.setPageSize(Number(e.target.value))}
            >
              {[...new Set([pageSize, ...PAGE_SIZES])]
                .sort((a, b) => a - b)
                .map((n) => (
                  <option key={n} value={n}>
                    {n}
                  </option>
                ))}
            </select>
          </label>
        </nav>
      )}
    </div>
  );
}
