import { useCallback, useRef, useState } from 'react';
import {
  createHistory,
  mapAll,
  record,
  redo,
  redoLabel,
  undo,
  undoLabel,
  type HistoryEntry,
  type HistoryState,
} from './editor-history';

/**
 * React state with undo/redo (see `editor-history.ts`). `change` records a step (or merges it
 * into the previous one with the same key); `undo`/`redo` return the entry they applied so the
 * caller can restore its UI state (`meta`). The newest state is kept in a ref too, so several
 * changes within one event (or before React re-renders) build on each other.
 */
export function useEditorHistory<T, M>(initial: T) {
  const [state, setState] = useState<HistoryState<T, M>>(() => createHistory<T, M>(initial));
  const ref = useRef(state);
  const commit = useCallback((next: HistoryState<T, M>) => {
    if (next === ref.current) return;
    ref.current = next;
    setState(next);
  }, []);

  /**
   * Applies `update` to the newest value as one undoable step.
   * @returns the id of the step holding it (0 when nothing changed).
   */
  const change = useCallback(
    (update: (v: T) => T, opts: { label: string; meta: M; key?: string }) => {
      const r = record(ref.current, update(ref.current.present), { ...opts, now: Date.now() });
      commit(r.state);
      return r.stepId;
    },
    [commit],
  );

  /** Applies `update` to the present without a step and without clearing redo. */
  const adjust = useCallback(
    (update: (v: T) => T) => {
      const next = update(ref.current.present);
      if (!Object.is(next, ref.current.present)) commit({ ...ref.current, present: next });
    },
    [commit],
  );

  /** Applies `update` to the present and every snapshot (see `mapAll`). */
  const adjustAll = useCallback(
    (update: (v: T) => T) => commit(mapAll(ref.current, update)),
    [commit],
  );

  /** Undoes the newest step; `meta` gives the UI state now (kept for redo). Null if none. */
  const undoStep = useCallback(
    (meta: (entry: HistoryEntry<T, M>) => M): HistoryEntry<T, M> | null => {
      const top = ref.current.past[ref.current.past.length - 1];
      if (!top) return null;
      const r = undo(ref.current, meta(top));
      if (!r) return null;
      commit(r.state);
      return r.entry;
    },
    [commit],
  );

  /** Redoes the newest undone step; `meta` gives the UI state now (kept for undo). */
  const redoStep = useCallback(
    (meta: (entry: HistoryEntry<T, M>) => M): HistoryEntry<T, M> | null => {
      const top = ref.current.future[ref.current.future.length - 1];
      if (!top) return null;
      const r = redo(ref.current, meta(top));
      if (!r) return null;
      commit(r.state);
      return r.entry;
    },
    [commit],
  );

  /** The id of the step Undo would revert now (0 when none). */
  const undoId = useCallback(() => ref.current.past[ref.current.past.length - 1]?.id ?? 0, []);

  /** Replaces the value and forgets all steps (e.g. after loading the server's copy). */
  const reset = useCallback((value: T) => commit(createHistory<T, M>(value)), [commit]);

  return {
    present: state.present,
    undoLabel: undoLabel(state),
    redoLabel: redoLabel(state),
    change,
    adjust,
    adjustAll,
    undo: undoStep,
    redo: redoStep,
    undoId,
    reset,
  };
}
