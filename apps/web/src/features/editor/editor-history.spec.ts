import { describe, expect, it } from 'vitest';
import {
  COALESCE_MS,
  createHistory,
  mapAll,
  record,
  redo,
  redoLabel,
  undo,
  undoLabel,
  type HistoryState,
} from './editor-history';

type H = HistoryState<string, string>;
const step = (h: H, next: string, key?: string, now = 0, limit?: number) =>
  record(h, next, { label: `set ${next}`, meta: `before ${next}`, key, now, limit }).state;

describe('editor history', () => {
  it('undoes and redoes steps in order, restoring each meta', () => {
    let h: H = createHistory('a');
    h = step(h, 'b');
    h = step(h, 'c');
    expect(undoLabel(h)).toBe('set c');
    const u = undo(h, 'ui at c')!;
    expect(u.state.present).toBe('b');
    expect(u.entry.meta).toBe('before c');
    const u2 = undo(u.state, 'ui at b')!;
    expect(u2.state.present).toBe('a');
    expect(undo(u2.state, 'x')).toBeNull();
    const r = redo(u2.state, 'ui at a')!;
    expect(r.state.present).toBe('b');
    expect(r.entry.meta).toBe('ui at b');
    expect(redoLabel(r.state)).toBe('set c');
    expect(redo(r.state, 'ui')!.state.present).toBe('c');
  });

  it('records no step for an unchanged value', () => {
    const h: H = createHistory('a');
    expect(record(h, 'a', { label: 'x', meta: '', now: 0 })).toEqual({ state: h, stepId: 0 });
  });

  it('a new edit clears redo', () => {
    let h: H = createHistory('a');
    h = step(h, 'b');
    h = undo(h, '')!.state;
    expect(redoLabel(h)).toBe('set b');
    h = step(h, 'z');
    expect(redoLabel(h)).toBeNull();
    expect(redo(h, '')).toBeNull();
    expect(undo(h, '')!.state.present).toBe('a');
  });

  it('coalesces edits with one key within the window into one step', () => {
    let h: H = createHistory('');
    h = step(h, 'H', 'prop:text1:text', 1000);
    h = step(h, 'He', 'prop:text1:text', 1000 + COALESCE_MS - 1);
    h = step(h, 'Hel', 'prop:text1:text', 1000 + 2 * COALESCE_MS - 2);
    expect(h.past).toHaveLength(1);
    expect(undo(h, '')!.state.present).toBe('');
  });

  it('does not coalesce after the window, across keys, without a key, or after an undo', () => {
    let h: H = createHistory('');
    h = step(h, 'a', 'k1', 0);
    h = step(h, 'ab', 'k1', COALESCE_MS); // window passed
    h = step(h, 'abc', 'k2', COALESCE_MS + 1); // another field
    h = step(h, 'abcd', undefined, COALESCE_MS + 2); // keyless
    h = step(h, 'abcde', undefined, COALESCE_MS + 3);
    expect(h.past.map((e) => e.value)).toEqual(['', 'a', 'ab', 'abc', 'abcd']);
    // After undo + the same key again, the edit is a new step (redo is gone, undo comes back).
    h = step(h, 'x', 'k3', 5000);
    h = undo(h, '')!.state;
    h = step(h, 'y', 'k3', 5001);
    expect(h.present).toBe('y');
    expect(undo(h, '')!.state.present).toBe('abcde');
  });

  it('keeps at most `limit` steps, dropping the oldest', () => {
    let h: H = createHistory('0');
    for (let i = 1; i <= 7; i++) h = step(h, String(i), undefined, i, 5);
    expect(h.past.map((e) => e.value)).toEqual(['2', '3', '4', '5', '6']);
    let n = 0;
    while (undo(h, '')) {
      h = undo(h, '')!.state;
      n++;
    }
    expect(n).toBe(5);
    expect(h.present).toBe('2');
  });

  it('keeps step ids through undo and redo (a toast can tell its step is on top)', () => {
    let h: H = createHistory('a');
    const r = record(h, 'b', { label: 'b', meta: '', now: 0 });
    h = r.state;
    expect(h.past.at(-1)!.id).toBe(r.stepId);
    h = redo(undo(h, '')!.state, '')!.state;
    expect(h.past.at(-1)!.id).toBe(r.stepId);
  });

  it('mapAll changes every snapshot without adding a step', () => {
    let h: H = createHistory('a1');
    h = step(h, 'b1');
    h = step(h, 'c1');
    h = undo(h, '')!.state;
    h = mapAll(h, (v) => v.replace('1', '2'));
    expect([h.past[0].value, h.present, h.future[0].value]).toEqual(['a2', 'b2', 'c2']);
    expect(h.past).toHaveLength(1);
  });
});
