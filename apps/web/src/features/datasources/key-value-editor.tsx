import { useId } from 'react';

export interface KeyValueRow {
  key: string;
  value: string;
}

/** Converts stored pairs (`[{name, value}]`, `[[k, v]]` or a map) into editable rows. */
export function toRows(value: unknown): KeyValueRow[] {
  if (Array.isArray(value)) {
    return value.flatMap((p: unknown) => {
      if (Array.isArray(p) && p.length === 2) return [{ key: String(p[0]), value: String(p[1]) }];
      if (p && typeof p === 'object' && 'name' in p && 'value' in p) {
        const pair = p as { name: unknown; value: unknown };
        return [{ key: String(pair.name), value: String(pair.value) }];
      }
      return [];
    });
  }
  if (value && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>).map(([k, v]) => ({
      key: k,
      value: typeof v === 'string' ? v : JSON.stringify(v),
    }));
  }
  return [];
}

/** Converts rows into the API's pair list `[{name, value}]`; rows with an empty name are dropped. */
export function fromRows(rows: KeyValueRow[]): { name: string; value: string }[] {
  return rows
    .filter((r) => r.key.trim() !== '')
    .map((r) => ({ name: r.key.trim(), value: r.value }));
}

/** An editable list of key/value pairs (headers, query parameters), usable by keyboard. */
export function KeyValueEditor({
  label,
  rows,
  onChange,
  secret = false,
}: {
  label: string;
  rows: KeyValueRow[];
  onChange: (rows: KeyValueRow[]) => void;
  secret?: boolean;
}) {
  const id = useId();
  const update = (i: number, patch: Partial<KeyValueRow>) =>
    onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <fieldset className="kv-editor" aria-describedby={`${id}-legend`}>
      <legend id={`${id}-legend`}>{label}</legend>
      {rows.map((r, i) => (
        <div className="kv-row" key={i}>
          <input
            aria-label={`${label} ${i + 1} name`}
            placeholder="Name"
            value={r.key}
            onChange={(e) => update(i, { key: e.target.value })}
          />
          <input
            aria-label={`${label} ${i + 1} value`}
            placeholder="Value"
            type={secret ? 'password' : 'text'}
            autoComplete={secret ? 'new-password' : 'off'}
            value={r.value}
            onChange={(e) => update(i, { value: e.target.value })}
          />
          <button
            type="button"
            className="ghost"
            aria-label={`Remove ${label} ${i + 1}`}
            onClick={() => onChange(rows.filter((_, j) => j !== i))}
          >
            ×
          </button>
        </div>
      ))}
      <button
        type="button"
        className="secondary small"
        onClick={() => onChange([...rows, { key: '', value: '' }])}
      >
        Add {label.toLowerCase()}
      </button>
    </fieldset>
  );
}
