import { describe, expect, it } from 'vitest';
import type { TAppDefinition } from '@bastion/contracts';
import {
  isEmptySummary,
  summarize,
  type RevisionSnapshot,
  type SnapshotQuery,
} from './app-revision-diff';

const text = (id: string, value: string) => ({
  id,
  type: 'text' as const,
  layout: { x: 0, y: 0, w: 4, h: 2 },
  props: { value },
});
const def = (...components: ReturnType<typeof text>[]): TAppDefinition =>
  ({ pages: [{ id: 'page1', name: 'Page 1', components }] }) as unknown as TAppDefinition;
const query = (id: string, name: string, sql: string): SnapshotQuery => ({
  id,
  name,
  datasourceId: '00000000-0000-4000-8000-000000000001',
  body: { sql },
  params: [],
  timeoutMs: null,
  maxRows: null,
});
const snap = (
  definition: TAppDefinition,
  queries: SnapshotQuery[],
  name = 'A',
): RevisionSnapshot => ({
  name,
  definition,
  queries,
});

describe('summarize', () => {
  it('names components and queries added, removed and changed', () => {
    const before = snap(def(text('t1', 'a'), text('t2', 'b')), [
      query('q1', 'users', 'select 1'),
      query('q2', 'orders', 'select 2'),
    ]);
    const after = snap(def(text('t1', 'changed'), text('t3', 'c')), [
      query('q1', 'people', 'select 1'),
      query('q3', 'items', 'select 3'),
    ]);
    expect(summarize(before, after)).toEqual({
      components: { added: ['t3'], removed: ['t2'], changed: ['t1'] },
      queries: { added: ['items'], removed: ['orders'], changed: ['people'] },
      renamed: false,
    });
  });

  it('is empty for equal states and flags a rename', () => {
    const a = snap(def(text('t1', 'a')), [query('q1', 'users', 'select 1')]);
    expect(isEmptySummary(summarize(a, structuredClone(a)))).toBe(true);
    expect(summarize(a, { ...a, name: 'B' }).renamed).toBe(true);
  });

  it('treats everything as added when there is no previous state', () => {
    const s = summarize(null, snap(def(text('t1', 'a')), [query('q1', 'users', 'x')]));
    expect(s.components.added).toEqual(['t1']);
    expect(s.queries.added).toEqual(['users']);
    expect(s.renamed).toBe(false);
  });
});
