/**
 * The editor's undo stack: a pure, immutable history of snapshots (the app definition), with
 * coalescing of rapid edits to one field into one step. No React here; `use-editor-history.ts`
 * wraps it for the editor page.
 *
 * Terms: `present` is the current value; `past` holds the value before each step (newest last);
 * `future` holds the steps undone (next redo last). Each entry carries `meta` (what the UI
 * showed then, e.g. the selected component) and a `label` for the Undo/Redo buttons.
 */

/** Steps kept in `past`; the oldest step is dropped beyond it (Retool and Figma keep ~100). */
export const HISTORY_LIMIT = 100;
/** Edits with the same key closer together than this (ms) merge into one step (one word typed). */
export const COALESCE_MS = 1000;

export interface HistoryEntry<T, M> {
  /** Unique within one history; lets a toast's "Undo" check it still undoes its own step. */
  id: number;
  value: T;
  meta: M;
  label: string;
}

export interface HistoryState<T, M> {
  past: HistoryEntry<T, M>[];
  present: T;
  future: HistoryEntry<T, M>[];
  /** The last recorded step, for coalescing: its entry id, key and time (ms). */
  last: { id: number; key: string; at: number } | null;
  nextId: number;
}

export interface RecordOptions<M> {
  /** Shown as "Undo <label>". */
  label: string;
  /** The UI state before the change (restored on undo). */
  meta: M;
  /** Edits with the same key within `COALESCE_MS` of the previous one merge (e.g. `prop:text1:text`). */
  key?: string;
  /** Time of the edit in ms (`Date.now()`); passed in so the functions stay pure. */
  now: number;
  limit?: number;
}

/** A history whose present is `value`, with nothing to undo or redo. */
export function createHistory<T, M>(value: T): HistoryState<T, M> {
  return { past: [], present: value, future: [], last: null, nextId: 1 };
}

/**
 * Records `next` as the new present. Returns `state` itself when `next` is the present (no
 * step). A new step clears `future` (redo is gone after a new edit). A step with the same `key`
 * as the previous one, within `COALESCE_MS` of it and with nothing undone in between, merges
 * into it: one undo then reverts the whole burst. `past` is capped at `limit` (oldest dropped).
 * @returns the new state and the id of the step now holding this edit (0 when none).
 */
export function record<T, M>(
  state: HistoryState<T, M>,
  next: T,
  { label, meta, key, now, limit = HISTORY_LIMIT }: RecordOptions<M>,
): { state: HistoryState<T, M>; stepId: number } {
  if (Object.is(next, state.present)) return { state, stepId: 0 };
  const last = state.last;
  if (key && last && last.key === key && now - last.at < COALESCE_MS && state.future.length === 0) {
    return {
      state: { ...state, present: next, last: { ...last, at: now } },
      stepId: last.id,
    };
  }
  const id = state.nextId;
  const past = [...state.past, { id, value: state.present, meta, label }];
  if (past.length > limit) past.splice(0, past.length - limit);
  return {
    state: {
      past,
      present: next,
      future: [],
      last: key ? { id, key, at: now } : null,
      nextId: id + 1,
    },
    stepId: id,
  };
}

/**
 * Undoes the newest step: its value becomes the present, and the present goes to `future` with
 * `meta` (the UI state now, restored on redo). Returns null when there is nothing to undo.
 * @returns the new state and the undone entry (its `meta` is the UI state to restore).
 */
export function undo<T, M>(
  state: HistoryState<T, M>,
  meta: M,
): { state: HistoryState<T, M>; entry: HistoryEntry<T, M> } | null {
  const entry = state.past[state.past.length - 1];
  if (!entry) return null;
  return {
    state: {
      ...state,
      past: state.past.slice(0, -1),
      present: entry.value,
      future: [...state.future, { ...entry, value: state.present, meta }],
      last: null,
    },
    entry,
  };
}

/** Redoes the newest undone step (the mirror of `undo`); null when there is nothing to redo. */
export function redo<T, M>(
  state: HistoryState<T, M>,
  meta: M,
): { state: HistoryState<T, M>; entry: HistoryEntry<T, M> } | null {
  const entry = state.future[state.future.length - 1];
  if (!entry) return null;
  return {
    state: {
      ...state,
      past: [...state.past, { ...entry, value: state.present, meta }],
      present: entry.value,
      future: state.future.slice(0, -1),
      last: null,
    },
    entry,
  };
}

/**
 * Applies `f` to the present and every snapshot, without a step: for changes made elsewhere
 * that undo must not bring back (e.g. a query deleted on the server: no snapshot may still
 * point an event at it).
 */
export function mapAll<T, M>(state: HistoryState<T, M>, f: (v: T) => T): HistoryState<T, M> {
  const entry = (e: HistoryEntry<T, M>) => ({ ...e, value: f(e.value) });
  return {
    ...state,
    past: state.past.map(entry),
    present: f(state.present),
    future: state.future.map(entry),
  };
}

/** The label of the step Undo would revert, or null. */
export function undoLabel<T, M>(state: HistoryState<T, M>): string | null {
  return state.past[state.past.length - 1]?.label ?? null;
}

/** The label of the step Redo would apply again, or null. */
export function redoLabel<T, M>(state: HistoryState<T, M>): string | null {
  return state.future[state.future.length - 1]?.label ?? null;
}
