import type { TQueryParamSpec, TSavedQuery, TUpdateQueryRequest } from '@bastion/contracts';
import {
  decodePlaceholders,
  decodeRest,
  encodePlaceholders,
  encodeRest,
  reconcileParamSpecs,
  type RestDraft,
} from './query-placeholders';

/** A query as the editor holds it: builder text (paths in `{{ }}`), not the server's text. */
export interface QueryDraft {
  id: string;
  name: string;
  datasourceId: string;
  kind: 'sql' | 'rest';
  sql: string;
  rest: RestDraft;
  params: TQueryParamSpec[];
  timeoutMs: number | null;
  maxRows: number | null;
}

export const EMPTY_REST: RestDraft = { method: 'GET', path: '', query: [], headers: [], body: '' };

export function draftFromSaved(q: TSavedQuery): QueryDraft {
  const isSql = 'sql' in q.body;
  return {
    id: q.id,
    name: q.name,
    datasourceId: q.datasourceId,
    kind: isSql ? 'sql' : 'rest',
    sql: 'sql' in q.body ? decodePlaceholders(q.body.sql) : '',
    rest: 'sql' in q.body ? EMPTY_REST : decodeRest(q.body),
    params: q.params,
    timeoutMs: q.timeoutMs,
    maxRows: q.maxRows,
  };
}

/**
 * The PATCH body of a draft: builder text encoded to server placeholders, parameters declared
 * for exactly the names used.
 * @throws PlaceholderError when the text holds a computed expression or the REST body is not JSON.
 */
export function toUpdateBody(
  d: QueryDraft,
  typeHint?: (name: string) => TQueryParamSpec['type'],
): TUpdateQueryRequest {
  const encoded =
    d.kind === 'sql'
      ? (() => {
          const r = encodePlaceholders(d.sql);
          return { body: { sql: r.text }, names: r.names };
        })()
      : encodeRest(d.rest);
  return {
    name: d.name,
    datasourceId: d.datasourceId,
    body: encoded.body,
    params: reconcileParamSpecs(encoded.names, d.params, typeHint),
    timeoutMs: d.timeoutMs,
    maxRows: d.maxRows,
  };
}
