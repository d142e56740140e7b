import type { TComponent } from '@bastion/contracts';
import { useId, useState } from 'react';
import {
  evaluateTemplate,
  hasBinding,
  type BindingScope,
} from '../../lib/bindings/evaluate-binding';
import { kindOf, type PropSpec } from '../apps/component-catalog';
import type { QueryDraft } from '../queries/query-draft';

const ID_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

function preview(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) return 'undefined';
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

function PropField({
  spec,
  value,
  scope,
  onChange,
}: {
  spec: PropSpec;
  value: string | number | boolean | null | undefined;
  scope: BindingScope;
  onChange: (v: string) => void;
}) {
  const id = useId();
  const text = value === null || value === undefined ? '' : String(value);
  const result = hasBinding(text) ? evaluateTemplate(text, scope) : null;
  return (
    <div className="prop-field">
      <label htmlFor={id}>{spec.label}</label>
      {spec.kind === 'select' ? (
        <select id={id} value={text} onChange={(e) => onChange(e.target.value)}>
          {(spec.options ?? []).map((o) => (
            <option key={o}>{o}</option>
          ))}
        </select>
      ) : (
        <input
          id={id}
          className={spec.kind === 'binding' ? 'mono' : undefined}
          value={text}
          spellCheck={false}
          aria-describedby={`${id}-help`}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
      <small id={`${id}-help`} className="help">
        {result ? (
          result.ok ? (
            <span className="binding-ok">= {preview(result.value)}</span>
          ) : (
            <span className="error">{result.error}</span>
          )
        ) : (
          spec.help
        )}
      </small>
    </div>
  );
}

/**
 * The property panel of the selected component: its id, props (with the live value of each
 * binding), events, and position for keyboard users.
 */
export function PropertyPanel({
  component,
  allIds,
  queries,
  scope,
  onChange,
  onRename,
  onDelete,
}: {
  component: TComponent | null;
  allIds: string[];
  queries: QueryDraft[];
  scope: BindingScope;
  onChange: (c: TComponent) => void;
  onRename: (from: string, to: string) => void;
  onDelete: (id: string) => void;
}) {
  const [idDraft, setIdDraft] = useState<{ for: string; value: string } | null>(null);
  if (!component) {
    return (
      <aside className="property-panel" aria-label="Properties">
        <h2>Properties</h2>
        <p className="muted">Select a component on the canvas to edit it.</p>
        <p className="muted small">
          Bindings: write <code>{'{{ query1.data }}'}</code> or <code>{'{{ input1.value }}'}</code>{' '}
          in any property.
        </p>
      </aside>
    );
  }
  const kind = kindOf(component.type);
  const idValue = idDraft?.for === component.id ? idDraft.value : component.id;
  const idError = !ID_RE.test(idValue)
    ? 'Use letters, digits and _, starting with a letter'
    : idValue !== component.id && allIds.includes(idValue)
      ? 'Another component or query has this name'
      : null;
  const events = component.events ?? [];
  const eventQuery = (on: 'click' | 'success') => events.find((e) => e.on === on)?.queryId ?? '';
  const setEvent = (on: 'click' | 'success', queryId: string) => {
    const rest = events.filter((e) => e.on !== on);
    onChange({
      ...component,
      events: queryId ? [...rest, { on, action: 'runQuery', queryId }] : rest,
    });
  };
  const setLayout = (k: keyof TComponent['layout'], v: number) => {
    if (!Number.isFinite(v)) return;
    const min = k === 'w' || k === 'h' ? 1 : 0;
    onChange({ ...component, layout: { ...component.layout, [k]: Math.max(min, Math.trunc(v)) } });
  };
  return (
    <aside className="property-panel" aria-label="Properties">
      <h2>
        {kind.label} <code>{component.id}</code>
      </h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (!idError && idValue !== component.id) onRename(component.id, idValue);
          setIdDraft(null);
        }}
      >
        <label>
          Name
          <input
            value={idValue}
            aria-invalid={idError ? true : undefined}
            onChange={(e) => setIdDraft({ for: component.id, value: e.target.value })}
            onBlur={() => {
              if (!idError && idValue !== component.id) onRename(component.id, idValue);
              setIdDraft(null);
            }}
          />
          {idError && <small className="error">{idError}</small>}
        </label>
      </form>
      {kind.props.map((p) => (
        <PropField
          key={p.name}
          spec={p}
          value={component.props[p.name]}
          scope={scope}
          onChange={(v) => onChange({ ...component, props: { ...component.props, [p.name]: v } })}
        />
      ))}
      {kind.events.includes('click') && (
        <fieldset>
          <legend>Events</legend>
          <label>
            On click, run
            <select value={eventQuery('click')} onChange={(e) => setEvent('click', e.target.value)}>
              <option value="">Nothing</option>
              {queries.map((q) => (
                <option key={q.id} value={q.id}>
                  {q.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            When that succeeds, run
            <select
              value={eventQuery('success')}
              onChange={(e) => setEvent('success', e.target.value)}
            >
              <option value="">Nothing</option>
              {queries.map((q) => (
                <option key={q.id} value={q.id}>
                  {q.name}
                </option>
              ))}
            </select>
          </label>
        </fieldset>
      )}
      <fieldset className="layout-fields">
        <legend>Position (grid cells)</legend>
        {(['x', 'y', 'w', 'h'] as const).map((k) => (
          <label key={k}>
            {{ x: 'Column', y: 'Row', w: 'Width', h: 'Height' }[k]}
            <input
              type="number"
              min={k === 'w' || k === 'h' ? 1 : 0}
              value={component.layout[k]}
              onChange={(e) => setLayout(k, Number(e.target.value))}
            />
          </label>
        ))}
      </fieldset>
      <button type="button" className="secondary danger" onClick={() => onDelete(component.id)}>
        Delete component
      </button>
    </aside>
  );
}
