import type { TComponent, TQueryParamSpec, TRunQueryResponse } from '@bastion/contracts';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import {
  evaluateTemplate,
  referencedNames,
  type BindingScope,
} from '../../lib/bindings/evaluate-binding';
import { ApiError } from '../../lib/api-client';
import { coerceParam, isBoundParam, paramNameToPath } from '../queries/query-placeholders';

/** What the runtime knows of a query: enough to run it by id. No query text. */
export interface RuntimeQuery {
  id: string;
  name: string;
  params: TQueryParamSpec[];
}

/** A query's state as bindings see it: `{{ query1.data }}`, `{{ query1.isLoading }}`... */
export interface QueryState {
  data: Record<string, unknown>[];
  columns: { name: string; type: string }[];
  rowCount: number;
  truncated: boolean;
  durationMs: number | null;
  isLoading: boolean;
  error: string | null;
  correlationId: string | null;
  ranAt: number | null;
}

export const EMPTY_QUERY_STATE: QueryState = {
  data: [],
  columns: [],
  rowCount: 0,
  truncated: false,
  durationMs: null,
  isLoading: false,
  error: null,
  correlationId: null,
  ranAt: null,
};

/** Runs a saved query by id with parameter values (draft for editors, published for viewers). */
export type QueryRunner = (
  queryId: string,
  params: Record<string, unknown>,
) => Promise<TRunQueryResponse>;

const INPUT_TYPES = new Set(['textInput', 'numberInput', 'select']);

function defaultValueOf(c: TComponent, base: BindingScope): unknown {
  const raw = c.props.defaultValue;
  if (raw === undefined || raw === null || raw === '') return c.type === 'numberInput' ? null : '';
  const r =
    typeof raw === 'string' ? evaluateTemplate(raw, base) : { ok: true as const, value: raw };
  if (!r.ok) return c.type === 'numberInput' ? null : '';
  if (c.type === 'numberInput') {
    const n = typeof r.value === 'number' ? r.value : Number(r.value);
    return Number.isFinite(n) ? n : null;
  }
  return r.value;
}

/** Builds the binding scope: each query and each component by its id. Plain data only. */
export function buildScope(
  components: TComponent[],
  queries: RuntimeQuery[],
  queryStates: Record<string, QueryState>,
  values: Record<string, unknown>,
): Record<string, unknown> {
  const scope: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const q of queries) {
    const s = queryStates[q.id] ?? EMPTY_QUERY_STATE;
    scope[q.name] = {
      data: s.data,
      columns: s.columns,
      rowCount: s.rowCount,
      truncated: s.truncated,
      durationMs: s.durationMs,
      isLoading: s.isLoading,
      error: s.error,
    };
  }
  const base = { ...scope };
  for (const c of components) {
    if (INPUT_TYPES.has(c.type)) {
      scope[c.id] = { value: c.id in values ? values[c.id] : defaultValueOf(c, base) };
    } else if (c.type === 'table') {
      const sel = values[c.id] as { index: number; row: unknown } | undefined;
      scope[c.id] = { selectedRow: sel?.row ?? null, selectedRowIndex: sel?.index ?? null };
    } else {
      scope[c.id] = {};
    }
  }
  return scope;
}

/**
 * The parameter values of a run, computed from the app state: a bound parameter
 * (`input1__value`) takes the value of its path, converted to the declared type; a free one is
 * not sent, so the server applies its declared default.
 */
export function paramsFor(query: RuntimeQuery, scope: BindingScope): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const spec of query.params) {
    if (!isBoundParam(spec.name)) continue;
    const r = evaluateTemplate(`{{ ${paramNameToPath(spec.name)} }}`, scope);
    const v = r.ok ? coerceParam(spec.type, r.value) : undefined;
    out[spec.name] = v === undefined ? null : v;
  }
  return out;
}

/**
 * The live state of a running app, shared by the editor's canvas and the viewer: component
 * values, query results, the binding scope, and the event handlers (click runs a query; its
 * success runs the component's success actions).
 */
export function useAppRuntime({
  components,
  queries,
  runner,
  autoRun,
}: {
  components: TComponent[];
  queries: RuntimeQuery[];
  runner: QueryRunner;
  /** Run on mount the queries that bindings read and no event triggers (like a page load). */
  autoRun: boolean;
}) {
  const [values, setValues] = useState<Record<string, unknown>>({});
  const [queryStates, setQueryStates] = useState<Record<string, QueryState>>({});
  const scope = useMemo(
    () => buildScope(components, queries, queryStates, values),
    [components, queries, queryStates, values],
  );
  // Handlers read the latest scope and queries, not the ones of the render that created them.
  const latest = useRef({ scope, queries, runner });
  useEffect(() => {
    latest.current = { scope, queries, runner };
  }, [scope, queries, runner]);

  const setValue = useCallback((id: string, v: unknown) => {
    setValues((prev) => ({ ...prev, [id]: v }));
  }, []);

  const patchState = (id: string, patch: Partial<QueryState>) =>
    setQueryStates((prev) => ({ ...prev, [id]: { ...(prev[id] ?? EMPTY_QUERY_STATE), ...patch } }));

  /** Runs a query by id; resolves true on success. Errors land in the query's state. */
  const runQuery = useCallback(async (queryId: string): Promise<boolean> => {
    const { scope: s, queries: qs, runner: run } = latest.current;
    const q = qs.find((x) => x.id === queryId);
    if (!q) return false;
    patchState(queryId, { isLoading: true, error: null, correlationId: null });
    try {
      const res = await run(queryId, paramsFor(q, s));
      patchState(queryId, {
        data: res.rows,
        columns: res.columns,
        rowCount: res.rowCount,
        truncated: res.truncated,
        durationMs: res.durationMs,
        isLoading: false,
        error: null,
        ranAt: Date.now(),
      });
      return true;
    } catch (e) {
      patchState(queryId, {
        isLoading: false,
        error: e instanceof Error ? e.message : 'The query failed.',
        correlationId: e instanceof ApiError ? (e.correlationId ?? null) : null,
        ranAt: Date.now(),
      });
      return false;
    }
  }, []);

  /** Fires a component event: each `click` action runs; after all succeed, `success` ones run. */
  const fireEvent = useCallback(
    async (component: TComponent, on: 'click') => {
      const events = component.events ?? [];
      let ok = true;
      for (const ev of events.filter((e) => e.on === on)) ok = (await runQuery(ev.queryId)) && ok;
      if (!ok) return;
      for (const ev of events.filter((e) => e.on === 'success')) await runQuery(ev.queryId);
    },
    [runQuery],
  );

  const autoRan = useRef(false);
  useEffect(() => {
    if (!autoRun || autoRan.current || queries.length === 0) return;
    const triggered = new Set(components.flatMap((c) => (c.events ?? []).map((e) => e.queryId)));
    const read = new Set(
      components.flatMap((c) =>
        Object.values(c.props).flatMap((p) => (typeof p === 'string' ? referencedNames(p) : [])),
      ),
    );
    const toRun = queries.filter((q) => {
      const free = q.params.some(
        (p) => !isBoundParam(p.name) && p.required && p.default === undefined,
      );
      return read.has(q.name) && !triggered.has(q.id) && !free;
    });
    // Deferred, and marked done only when it fires, so StrictMode's mount-unmount-mount runs it once.
    const t = setTimeout(() => {
      autoRan.current = true;
      for (const q of toRun) void runQuery(q.id);
    }, 0);
    return () => clearTimeout(t);
  }, [autoRun, components, queries, runQuery]);

  return { scope, values, setValue, queryStates, runQuery, fireEvent };
}

export type AppRuntime = ReturnType<typeof useAppRuntime>;
