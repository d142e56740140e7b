import type { TQueryParamSpec } from '@bastion/contracts';
import { useId, useState } from 'react';
import { ProgressBar } from '../../components/loading';
import { ResultsTable } from '../../components/results-table';
import {
  evaluateTemplate,
  toDisplayText,
  type BindingScope,
} from '../../lib/bindings/evaluate-binding';
import type { QueryState } from '../apps/app-runtime';
import type { DatasourceView } from '../datasources/datasource-model';
import type { QueryDraft } from './query-draft';
import {
  encodePlaceholders,
  encodeRest,
  isBoundParam,
  paramNameToPath,
  reconcileParamSpecs,
} from './query-placeholders';
import { RestEditor } from './rest-editor';
import { SqlEditor } from './sql-editor';

const PARAM_TYPES: TQueryParamSpec['type'][] = ['string', 'number', 'integer', 'boolean', 'json'];

function liveParams(d: QueryDraft): { specs: TQueryParamSpec[]; error: string | null } {
  try {
    const names = d.kind === 'sql' ? encodePlaceholders(d.sql).names : encodeRest(d.rest).names;
    return { specs: reconcileParamSpecs(names, d.params), error: null };
  } catch (e) {
    return { specs: d.params, error: e instanceof Error ? e.message : 'Invalid query' };
  }
}

function ParamsTable({
  draft,
  scope,
  onChange,
}: {
  draft: QueryDraft;
  scope: BindingScope;
  onChange: (params: TQueryParamSpec[]) => void;
}) {
  const { specs } = liveParams(draft);
  if (specs.length === 0) {
    return (
      <p className="muted small">No parameters. Write {'{{ input1.value }}'} where a value goes.</p>
    );
  }
  const update = (name: string, patch: Partial<TQueryParamSpec>) =>
    onChange(specs.map((s) => (s.name === name ? { ...s, ...patch } : s)));
  return (
    <table className="data-table params-table">
      <caption className="visually-hidden">Parameters</caption>
      <thead>
        <tr>
          <th scope="col">Parameter</th>
          <th scope="col">Bound to</th>
          <th scope="col">Type</th>
          <th scope="col">Current value</th>
        </tr>
      </thead>
      <tbody>
        {specs.map((s) => {
          const bound = isBoundParam(s.name);
          const path = paramNameToPath(s.name);
          const current = bound ? evaluateTemplate(`{{ ${path} }}`, scope) : null;
          return (
            <tr key={s.name}>
              <td>
                <code>{s.name}</code>
              </td>
              <td>
                {bound ? (
                  <code>{`{{ ${path} }}`}</code>
                ) : (
                  <label>
                    <span className="visually-hidden">Default value of {s.name}</span>
                    <input
                      value={s.default === undefined ? '' : toDisplayText(s.default)}
                      placeholder="Default value"
                      onChange={(e) =>
                        update(s.name, {
                          default: e.target.value === '' ? undefined : e.target.value,
                        })
                      }
                    />
                  </label>
                )}
              </td>
              <td>
                <label>
                  <span className="visually-hidden">Type of {s.name}</span>
                  <select
                    value={s.type}
                    onChange={(e) =>
                      update(s.name, { type: e.target.value as TQueryParamSpec['type'] })
                    }
                  >
                    {PARAM_TYPES.map((t) => (
                      <option key={t}>{t}</option>
                    ))}
                  </select>
                </label>
              </td>
              <td>
                {current ? (
                  current.ok ? (
                    <code>{JSON.stringify(current.value) ?? 'undefined'}</code>
                  ) : (
                    <span className="error">{current.error}</span>
                  )
                ) : (
                  <span className="muted">default</span>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** The query name, committed on Enter or blur (so bindings are renamed once, not per key). */
function QueryNameInput({
  name,
  taken,
  describedBy,
  onRename,
}: {
  name: string;
  taken: string[];
  describedBy: string;
  onRename: (to: string) => void;
}) {
  const [value, setValue] = useState(name);
  const error = !NAME_RE.test(value)
    ? 'Letters, digits and _, starting with a letter'
    : taken.includes(value)
      ? 'This name is taken'
      : null;
  const commit = () => {
    if (error) setValue(name);
    else if (value !== name) onRename(value);
  };
  return (
    <>
      <input
        value={value}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy}
        onChange={(e) => setValue(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            commit();
          }
        }}
      />
      {error && <small className="error">{error}</small>}
    </>
  );
}

/** Row count, duration, truncation and errors of the last run, then the result grid. */
export function QueryResult({ state, name }: { state: QueryState | undefined; name: string }) {
  if (!state || (state.ranAt === null && !state.isLoading)) {
    return <p className="muted">Run the query (Ctrl+Enter) to see its result.</p>;
  }
  return (
    <div className="query-result">
      {state.isLoading && <ProgressBar label={`Running ${name}`} />}
      {state.error ? (
        <div role="alert" className="notice notice-error">
          {state.error}
          {state.correlationId && (
            <small>
              {' '}
              Reference <code data-testid="correlation-id">{state.correlationId}</code>
            </small>
          )}
        </div>
      ) : (
        state.ranAt !== null && (
          <>
            <p className="result-meta" role="status">
              <strong>{state.rowCount}</strong> {state.rowCount === 1 ? 'row' : 'rows'}
              {state.durationMs !== null && <> · {Math.round(state.durationMs)} ms</>}
              {state.truncated && (
                <span className="badge badge-warn">
                  Truncated: the result hit the row or size limit; not every row is shown
                </span>
              )}
            </p>
            {state.columns.length > 0 && (
              <ResultsTable
                label={`${name} result`}
                columns={state.columns}
                rows={state.data}
                height={Math.min(380, 96 + state.data.length * 30)}
              />
            )}
          </>
        )
      )}
    </div>
  );
}

/**
 * The query panel: the app's queries, the editor of the selected one (SQL or REST), its
 * parameters with their bindings, its limits, and the result of the last run.
 */
export function QueryPanel({
  queries,
  selectedId,
  onSelect,
  onChange,
  onCreate,
  onDelete,
  onRun,
  datasources,
  states,
  scope,
  saveErrors,
  takenNames,
  onRename,
}: {
  queries: QueryDraft[];
  selectedId: string | null;
  onSelect: (id: string) => void;
  onChange: (draft: QueryDraft) => void;
  onCreate: () => void;
  onDelete: (id: string) => void;
  onRun: (id: string) => void;
  datasources: DatasourceView[];
  states: Record<string, QueryState>;
  scope: BindingScope;
  saveErrors: Record<string, string>;
  /** Names of every component and query: a query name must be unique among them. */
  takenNames: string[];
  /** Renames a query and every binding that reads it. */
  onRename: (from: string, to: string) => void;
}) {
  const id = useId();
  const draft = queries.find((q) => q.id === selectedId) ?? null;
  const ds = draft ? datasources.find((d) => d.id === draft.datasourceId) : undefined;
  const state = draft ? states[draft.id] : undefined;
  const live = draft ? liveParams(draft) : null;
  const set = (patch: Partial<QueryDraft>) => draft && onChange({ ...draft, ...patch });
  return (
    <section className="query-panel" aria-label="Queries">
      <nav className="query-list" aria-label="Query list">
        <h2>Queries</h2>
        <ul>
          {queries.map((q) => (
            <li key={q.id}>
              <button
                type="button"
                className={`list-item${q.id === selectedId ? ' active' : ''}`}
                aria-current={q.id === selectedId ? 'true' : undefined}
                onClick={() => onSelect(q.id)}
              >
                {states[q.id]?.isLoading && <span className="spinner" aria-hidden="true" />}{' '}
                {q.name}
                {saveErrors[q.id] && <span className="badge badge-error">!</span>}
              </button>
            </li>
          ))}
        </ul>
        <button
          type="button"
          className="secondary small"
          onClick={onCreate}
          disabled={datasources.length === 0}
        >
          New query
        </button>
        {datasources.length === 0 && <p className="muted small">Create a datasource first.</p>}
      </nav>
      {!draft ? (
        <div className="query-body muted">Select or create a query.</div>
      ) : (
        <div className="query-body">
          <div className="query-toolbar">
            <label>
              Name
              <QueryNameInput
                key={`${draft.id}-${draft.name}`}
                name={draft.name}
                taken={takenNames.filter((n) => n !== draft.name)}
                describedBy={`${id}-name-help`}
                onRename={(to) => onRename(draft.name, to)}
              />
            </label>
            <label>
              Datasource
              <select
                value={draft.datasourceId}
                onChange={(e) => {
                  const next = datasources.find((d) => d.id === e.target.value);
                  set({
                    datasourceId: e.target.value,
                    kind: next?.type === 'rest' ? 'rest' : 'sql',
                  });
                }}
              >
                {datasources.map((d) => (
                  <option key={d.id} value={d.id}>
                    {d.name} ({d.type})
                  </option>
                ))}
              </select>
            </label>
            <label>
              Timeout (ms)
              <input
                type="number"
                min={100}
                max={120000}
                value={draft.timeoutMs ?? ''}
                placeholder="default"
                onChange={(e) =>
                  set({ timeoutMs: e.target.value === '' ? null : Number(e.target.value) })
                }
              />
            </label>
            <label>
              Max rows
              <input
                type="number"
                min={1}
                value={draft.maxRows ?? ''}
                placeholder="default"
                onChange={(e) =>
                  set({ maxRows: e.target.value === '' ? null : Number(e.target.value) })
                }
              />
            </label>
            <div className="toolbar-actions">
              <button
                type="button"
                onClick={() => onRun(draft.id)}
                disabled={state?.isLoading}
                aria-keyshortcuts="Control+Enter Meta+Enter"
              >
                {state?.isLoading ? 'Running…' : 'Run'}
              </button>
              <button
                type="button"
                className="secondary danger"
                onClick={() => {
                  if (window.confirm(`Delete the query "${draft.name}"?`)) onDelete(draft.id);
                }}
              >
                Delete
              </button>
            </div>
          </div>
          <small id={`${id}-name-help`} className="muted">
            Bindings read it as {'{{'} {draft.name}.data {'}}'}.
          </small>
          {draft.kind === 'rest' ? (
            <RestEditor value={draft.rest} onChange={(rest) => set({ rest, kind: 'rest' })} />
          ) : (
            <SqlEditor
              label={`SQL of ${draft.name}`}
              value={draft.sql}
              dialect={ds?.type}
              onChange={(sql) => set({ sql })}
              onRun={() => onRun(draft.id)}
            />
          )}
          {(live?.error ?? saveErrors[draft.id]) && (
            <p role="alert" className="error small">
              {live?.error ?? saveErrors[draft.id]}
            </p>
          )}
          <h3 className="small-heading">Parameters</h3>
          <ParamsTable draft={draft} scope={scope} onChange={(params) => set({ params })} />
          <h3 className="small-heading">Result</h3>
          <QueryResult state={state} name={draft.name} />
        </div>
      )}
    </section>
  );
}
