import { useCallback, useEffect, useRef, useState } from 'react';

export type SaveStatus = 'saved' | 'unsaved' | 'saving' | 'error';

/**
 * Debounced autosave: `value` is saved `delayMs` after the last change; `flush()` saves now
 * (before publish or run) and resolves when nothing is left unsaved. A change made while a save
 * is in flight is saved after it. Equality is by JSON text, so re-renders do not save.
 * @param save resolves when stored; a rejection sets status `error` and keeps the change unsaved.
 */
export function useAutosave<T>(
  value: T,
  save: (value: T) => Promise<void>,
  { delayMs = 800, enabled = true }: { delayMs?: number; enabled?: boolean } = {},
) {
  const serialized = JSON.stringify(value);
  const savedRef = useRef(serialized);
  const latest = useRef({ value, serialized, save });
  const inFlight = useRef<Promise<void> | null>(null);
  const [status, setStatus] = useState<SaveStatus>('saved');
  const [error, setError] = useState<unknown>(null);
  // Bumped after each save, so a change made (or undone) while it was in flight is looked at again.
  const [saves, setSaves] = useState(0);

  useEffect(() => {
    latest.current = { value, serialized, save };
  }, [value, serialized, save]);

  const run = useCallback(async (): Promise<void> => {
    if (inFlight.current) await inFlight.current.catch(() => undefined);
    const { value: v, serialized: s, save: doSave } = latest.current;
    if (s === savedRef.current) {
      setStatus('saved');
      return;
    }
    setStatus('saving');
    const p = doSave(v).then(
      () => {
        savedRef.current = s;
        setSaves((n) => n + 1);
        setError(null);
        setStatus(latest.current.serialized === s ? 'saved' : 'unsaved');
      },
      (e: unknown) => {
        setError(e);
        setStatus('error');
        throw e;
      },
    );
    inFlight.current = p;
    try {
      await p;
    } finally {
      if (inFlight.current === p) inFlight.current = null;
    }
  }, []);

  useEffect(() => {
    if (!enabled) return;
    if (serialized === savedRef.current) {
      // Back to the stored value (e.g. an undo before the save): nothing is left to save.
      setStatus((s) => (s === 'unsaved' ? 'saved' : s));
      return;
    }
    setStatus((s) => (s === 'saving' ? s : 'unsaved'));
    const t = setTimeout(() => void run().catch(() => undefined), delayMs);
    return () => clearTimeout(t);
  }, [serialized, enabled, delayMs, run, saves]);

  /** Saves now; resolves when the latest value is stored. Rejects when the save fails. */
  const flush = useCallback(async () => {
    await run();
    if (latest.current.serialized !== savedRef.current) await run();
  }, [run]);

  /** Marks a value as already stored (e.g. the server's copy after load). */
  const markSaved = useCallback((v: T) => {
    savedRef.current = JSON.stringify(v);
    setStatus('saved');
  }, []);

  return { status, error, flush, markSaved };
}
