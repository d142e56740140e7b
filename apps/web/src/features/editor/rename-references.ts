import type { TAppDefinition } from '@bastion/contracts';
import type { QueryDraft } from '../queries/query-draft';
import { withAllComponents } from './page-operations';

/**
 * Renames a component or query inside every `{{ }}` of a text: `{{ input1.value }}` becomes
 * `{{ name.value }}`. Text outside bindings, string literals' neighbours and longer names
 * (`input10`) are left alone.
 */
export function renameReferences(text: string, from: string, to: string): string {
  const name = new RegExp(
    `(^|[^A-Za-z0-9_.$'"])${from.replace(/[$]/g, '\\$')}(?![A-Za-z0-9_])`,
    'g',
  );
  return text.replace(
    /\{\{([\s\S]*?)\}\}/g,
    (_m, inner: string) => `{{${inner.replace(name, `$1${to}`)}}}`,
  );
}

/**
 * The definition with component `from` renamed to `to` on every page: its id, and every
 * binding in any component's props that names it. Undoing a rename is the same call reversed.
 */
export function renameInDefinition(def: TAppDefinition, from: string, to: string): TAppDefinition {
  return withAllComponents(def, (cs) =>
    cs.map((c) => ({
      ...c,
      id: c.id === from ? to : c.id,
      props: Object.fromEntries(
        Object.entries(c.props).map(([k, v]) => [
          k,
          typeof v === 'string' ? renameReferences(v, from, to) : v,
        ]),
      ),
    })),
  );
}

/** A query with `from` renamed to `to`: its own name, its SQL/REST text and parameter names. */
export function renameInQuery(q: QueryDraft, from: string, to: string): QueryDraft {
  return {
    ...q,
    name: q.name === from ? to : q.name,
    sql: renameReferences(q.sql, from, to),
    rest: {
      ...q.rest,
      path: renameReferences(q.rest.path, from, to),
      query: q.rest.query.map(([k, v]) => [k, renameReferences(v, from, to)]),
      headers: q.rest.headers.map(([k, v]) => [k, renameReferences(v, from, to)]),
      body: renameReferences(q.rest.body, from, to),
    },
    params: q.params.map((p) => ({
      ...p,
      name: p.name.replace(new RegExp(`^${from}__`), `${to}__`),
    })),
  };
}
