import type {
  TAppDefinition,
  TChangeSet,
  TQueryBody,
  TQueryParamSpec,
  TRevisionSummary,
} from '@bastion/contracts';
import { isDeepStrictEqual } from 'node:util';

/** A draft query as a revision keeps it (no timestamps, no version). */
export interface SnapshotQuery {
  id: string;
  name: string;
  datasourceId: string;
  body: TQueryBody;
  params: TQueryParamSpec[];
  timeoutMs: number | null;
  maxRows: number | null;
}

/** What a revision holds: the app's name, draft definition and draft queries. */
export interface RevisionSnapshot {
  name: string;
  definition: TAppDefinition;
  queries: SnapshotQuery[];
}

/** An empty change summary (nothing added, removed or changed). */
export function emptySummary(): TRevisionSummary {
  return {
    components: { added: [], removed: [], changed: [] },
    queries: { added: [], removed: [], changed: [] },
    renamed: false,
  };
}

/** True when the summary names no change at all. */
export function isEmptySummary(s: TRevisionSummary): boolean {
  const none = (c: TChangeSet) => !c.added.length && !c.removed.length && !c.changed.length;
  return none(s.components) && none(s.queries) && !s.renamed;
}

function diffBy<T>(
  before: Map<string, T>,
  after: Map<string, T>,
  label: (item: T) => string,
): TChangeSet {
  const set: TChangeSet = { added: [], removed: [], changed: [] };
  for (const [key, item] of after) {
    const old = before.get(key);
    if (old === undefined) set.added.push(label(item));
    else if (!isDeepStrictEqual(old, item)) set.changed.push(label(item));
  }
  for (const [key, item] of before) if (!after.has(key)) set.removed.push(label(item));
  for (const list of [set.added, set.removed, set.changed]) list.sort();
  return set;
}

/** Components of every page keyed by page and component id (the page is part of the identity). */
function componentsOf(definition: TAppDefinition): Map<string, { id: string; value: unknown }> {
  const map = new Map<string, { id: string; value: unknown }>();
  for (const page of definition.pages) {
    for (const c of page.components) map.set(`${page.id}/${c.id}`, { id: c.id, value: c });
  }
  return map;
}

/**
 * What changed from `before` to `after`: components added, removed or changed (by component
 * id), queries added, removed or changed (by name, matched by query id, so a rename is a
 * change), and whether the app's name changed. `before` null: everything in `after` is added.
 */
export function summarize(
  before: RevisionSnapshot | null,
  after: RevisionSnapshot,
): TRevisionSummary {
  const prev = before ?? { name: after.name, definition: { pages: [] }, queries: [] };
  return {
    components: diffBy(componentsOf(prev.definition), componentsOf(after.definition), (c) => c.id),
    queries: diffBy(
      new Map(prev.queries.map((q) => [q.id, q])),
      new Map(after.queries.map((q) => [q.id, q])),
      (q) => q.name,
    ),
    renamed: before !== null && before.name !== after.name,
  };
}
