import { KeyValueEditor } from '../datasources/key-value-editor';
import type { RestDraft } from './query-placeholders';

const METHODS: RestDraft['method'][] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/**
 * The REST request editor: method, path below the datasource's base URL, query parameters,
 * headers and a JSON body. Any text may hold `{{ input1.value }}`; the server encodes each value
 * for its position. Secret headers belong in the datasource, not here.
 */
export function RestEditor({
  value,
  onChange,
}: {
  value: RestDraft;
  onChange: (v: RestDraft) => void;
}) {
  const set = (patch: Partial<RestDraft>) => onChange({ ...value, ...patch });
  return (
    <div className="rest-editor">
      <div className="rest-line">
        <label>
          Method
          <select
            value={value.method}
            onChange={(e) => set({ method: e.target.value as RestDraft['method'] })}
          >
            {METHODS.map((m) => (
              <option key={m}>{m}</option>
            ))}
          </select>
        </label>
        <label className="grow">
          Path
          <input
            value={value.path}
            placeholder="/users/{{ table1.selectedRow.id }}"
            onChange={(e) => set({ path: e.target.value })}
          />
        </label>
      </div>
      <KeyValueEditor
        label="Query parameter"
        rows={value.query.map(([key, v]) => ({ key, value: v }))}
        onChange={(rows) => set({ query: rows.map((r) => [r.key, r.value]) })}
      />
      <KeyValueEditor
        label="Header"
        rows={value.headers.map(([key, v]) => ({ key, value: v }))}
        onChange={(rows) => set({ headers: rows.map((r) => [r.key, r.value]) })}
      />
      {value.method !== 'GET' && (
        <label>
          Body (JSON)
          <textarea
            rows={5}
            spellCheck={false}
            value={value.body}
            placeholder={'{ "name": "{{ input1.value }}" }'}
            onChange={(e) => set({ body: e.target.value })}
          />
        </label>
      )}
    </div>
  );
}
