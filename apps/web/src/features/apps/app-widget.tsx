import type { TComponent } from '@bastion/contracts';
import { useId } from 'react';
import { columnsOf, type ResultColumn, ResultsTable } from '../../components/results-table';
import {
  evaluateTemplate,
  toDisplayText,
  type BindingScope,
} from '../../lib/bindings/evaluate-binding';
import type { AppRuntime } from './app-runtime';

type PropValue = string | number | boolean | null | undefined;

function evalProp(raw: PropValue, scope: BindingScope): { value: unknown; error?: string } {
  if (typeof raw !== 'string') return { value: raw };
  const r = evaluateTemplate(raw, scope);
  return r.ok ? { value: r.value } : { value: undefined, error: r.error };
}

function asRows(v: unknown): Record<string, unknown>[] {
  if (!Array.isArray(v)) return [];
  return v.map((r) =>
    r && typeof r === 'object' && !Array.isArray(r) ? (r as Record<string, unknown>) : { value: r },
  );
}

function optionsOf(v: unknown, field: string): string[] {
  if (typeof v === 'string')
    return v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  if (Array.isArray(v)) {
    return v.map((x) => {
      if (x && typeof x === 'object' && !Array.isArray(x)) {
        const obj = x as Record<string, unknown>;
        return toDisplayText(field ? obj[field] : Object.values(obj)[0]);
      }
      return toDisplayText(x);
    });
  }
  return [];
}

/**
 * Column types of a table bound to exactly one query's rows (`{{ query1.data }}`): the query's
 * result columns name them, so numbers and dates format as in the result grid.
 */
function withQueryTypes(
  columns: ResultColumn[],
  data: PropValue,
  runtime: AppRuntime,
): ResultColumn[] {
  const m =
    typeof data === 'string' ? /^\s*\{\{\s*([A-Za-z_]\w*)\.data\s*\}\}\s*$/.exec(data) : null;
  const typed = ((m ? runtime.scope[m[1]] : undefined) as { columns?: ResultColumn[] } | undefined)
    ?.columns;
  if (!Array.isArray(typed)) return columns;
  const types = new Map(typed.map((c) => [c.name, c.type]));
  return columns.map((c) => ({ ...c, type: c.type ?? types.get(c.name) }));
}

/** `name` or `name desc` (the table's default sort property); null when empty. */
function parseSort(text: string): { column: string; desc: boolean } | null {
  const m = /^\s*(.+?)(?:\s+(asc|desc))?\s*$/i.exec(text);
  return m ? { column: m[1], desc: m[2]?.toLowerCase() === 'desc' } : null;
}

function BindingErrors({ errors }: { errors: string[] }) {
  if (errors.length === 0) return null;
  return (
    <small className="binding-error" role="note">
      {errors[0]}
    </small>
  );
}

/** A small SVG chart (bar or line) of one numeric column against a label column. */
function Chart({
  rows,
  x,
  y,
  kind,
  title,
}: {
  rows: Record<string, unknown>[];
  x: string;
  y: string;
  kind: string;
  title: string;
}) {
  const points = rows
    .slice(0, 200)
    .map((r) => ({ label: toDisplayText(r[x]), value: Number(r[y]) || 0 }));
  const max = Math.max(1, ...points.map((p) => p.value));
  const W = 400;
  const H = 200;
  const bw = points.length ? W / points.length : W;
  return (
    <figure className="chart">
      {title && <figcaption>{title}</figcaption>}
      {points.length === 0 ? (
        <p className="muted">No data</p>
      ) : (
        <svg
          viewBox={`0 0 ${W} ${H + 20}`}
          role="img"
          aria-label={`${title || 'Chart'} of ${y} by ${x}`}
          preserveAspectRatio="none"
        >
          {kind === 'line' ? (
            <polyline
              fill="none"
              stroke="var(--accent)"
              strokeWidth="2"
              points={points
                .map((p, i) => `${i * bw + bw / 2},${H - (p.value / max) * H}`)
                .join(' ')}
            />
          ) : (
            points.map((p, i) => (
              <rect
                key={i}
                x={i * bw + 2}
                width={Math.max(bw - 4, 1)}
                y={H - (p.value / max) * H}
                height={(p.value / max) * H}
                fill="var(--accent)"
              >
                <title>{`${p.label}: ${p.value}`}</title>
              </rect>
            ))
          )}
        </svg>
      )}
    </figure>
  );
}

/**
 * Renders one app component with its props evaluated against the runtime scope. Used by the
 * editor canvas and the viewer alike, so what the builder sees is what the viewer gets.
 */
export function AppWidget({ component, runtime }: { component: TComponent; runtime: AppRuntime }) {
  const id = useId();
  const { scope } = runtime;
  const errors: string[] = [];
  const prop = (name: string): unknown => {
    const r = evalProp(component.props[name], scope);
    if (r.error) errors.push(`${name}: ${r.error}`);
    return r.value;
  };
  const self = (scope[component.id] ?? {}) as { value?: unknown; selectedRowIndex?: number | null };

  switch (component.type) {
    case 'text': {
      const text = toDisplayText(prop('text'));
      return (
        <div className="widget widget-text">
          <p>{text}</p>
          <BindingErrors errors={errors} />
        </div>
      );
    }
    case 'textInput': {
      const label = toDisplayText(prop('label'));
      const placeholder = toDisplayText(prop('placeholder'));
      return (
        <div className="widget widget-input">
          <label htmlFor={id}>{label || component.id}</label>
          <input
            id={id}
            name={component.id}
            value={toDisplayText(self.value)}
            placeholder={placeholder}
            onChange={(e) => runtime.setValue(component.id, e.target.value)}
          />
          <BindingErrors errors={errors} />
        </div>
      );
    }
    case 'numberInput': {
      const label = toDisplayText(prop('label'));
      const min = prop('min');
      const max = prop('max');
      return (
        <div className="widget widget-input">
          <label htmlFor={id}>{label || component.id}</label>
          <input
            id={id}
            type="number"
            name={component.id}
            min={min === '' || min === undefined ? undefined : toDisplayText(min)}
            max={max === '' || max === undefined ? undefined : toDisplayText(max)}
            value={self.value === null || self.value === undefined ? '' : toDisplayText(self.value)}
            onChange={(e) =>
              runtime.setValue(component.id, e.target.value === '' ? null : Number(e.target.value))
            }
          />
          <BindingErrors errors={errors} />
        </div>
      );
    }
    case 'select': {
      const label = toDisplayText(prop('label'));
      const options = optionsOf(prop('options'), toDisplayText(component.props.optionField));
      return (
        <div className="widget widget-input">
          <label htmlFor={id}>{label || component.id}</label>
          <select
            id={id}
            value={toDisplayText(self.value)}
            onChange={(e) => runtime.setValue(component.id, e.target.value)}
          >
            <option value="">—</option>
            {options.map((o, i) => (
              <option key={`${o}-${i}`} value={o}>
                {o}
              </option>
            ))}
          </select>
          <BindingErrors errors={errors} />
        </div>
      );
    }
    case 'button': {
      const label = toDisplayText(prop('label')) || 'Button';
      const disabled = component.props.disabled ? Boolean(prop('disabled')) : false;
      const running = (component.events ?? []).some(
        (e) => runtime.queryStates[e.queryId]?.isLoading,
      );
      return (
        <div className="widget widget-button">
          <button
            type="button"
            disabled={disabled || running}
            aria-busy={running || undefined}
            onClick={() => void runtime.fireEvent(component, 'click')}
          >
            {running && <span className="spinner" aria-hidden="true" />} {label}
          </button>
          <BindingErrors errors={errors} />
        </div>
      );
    }
    case 'table': {
      const rows = asRows(prop('data'));
      const wanted = toDisplayText(component.props.columns)
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const columns = withQueryTypes(
        wanted.length ? wanted.map((name) => ({ name })) : columnsOf(rows),
        component.props.data,
        runtime,
      );
      const pageSize = Number(toDisplayText(prop('pageSize')) || 0);
      const sort = parseSort(toDisplayText(component.props.defaultSort));
      const loading = Object.values(runtime.queryStates).some((q) => q.isLoading);
      return (
        <div className="widget widget-table" aria-busy={loading || undefined}>
          {rows.length === 0 ? (
            <p className="muted" data-testid={`${component.id}-empty`}>
              No rows
            </p>
          ) : (
            <ResultsTable
              label={component.id}
              columns={columns}
              rows={rows}
              height="100%"
              selectedIndex={self.selectedRowIndex ?? null}
              onRowClick={(row, index) => runtime.setValue(component.id, { row, index })}
              pageSize={Number.isInteger(pageSize) && pageSize > 0 ? pageSize : 0}
              searchable={toDisplayText(component.props.search) !== 'hide'}
              defaultSort={sort}
            />
          )}
          <BindingErrors errors={errors} />
        </div>
      );
    }
    case 'chart': {
      const rows = asRows(prop('data'));
      return (
        <div className="widget widget-chart">
          <Chart
            rows={rows}
            x={toDisplayText(component.props.x)}
            y={toDisplayText(component.props.y)}
            kind={toDisplayText(component.props.kind) || 'bar'}
            title={toDisplayText(prop('title'))}
          />
          <BindingErrors errors={errors} />
        </div>
      );
    }
  }
}
