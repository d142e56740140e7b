import { isExactNumberText, type TQueryParamSpec, type TRestQueryBody } from '@bastion/contracts';
import { toDisplayText } from '../../lib/bindings/evaluate-binding';

/**
 * Builder text <-> server text for query placeholders.
 *
 * The server binds only simple names, `{{ name }}` (query-proxy/bind-parameters.ts). Builders
 * write paths into app state, `{{ input1.value }}` or `{{ table1.selectedRow.id }}`. A path is
 * stored as the parameter name `input1__value` (segments joined by `__`), so the published
 * query carries its binding in its parameter list and a viewer can compute every value from
 * the app state without ever seeing the query text. A plain `{{ name }}` is a free parameter
 * whose value is its declared default.
 *
 * Only names and paths are allowed inside a query: a computed value belongs in a component
 * (e.g. a Text input), so what reaches the database is always a bound parameter.
 */

const IDENT = '[A-Za-z_][A-Za-z0-9_]*';
const PATH_RE = new RegExp(`^${IDENT}(?:\\.${IDENT}|\\[\\d+\\])*$`);
const PLACEHOLDER_RE = /\{\{([\s\S]*?)\}\}/g;
const SEP = '__';
const MAX_NAME = 64;

export class PlaceholderError extends Error {}

/** `input1.value` -> `input1__value`; `query1.data[0].id` -> `query1__data__0__id`. */
export function pathToParamName(path: string): string {
  const trimmed = path.trim();
  if (!PATH_RE.test(trimmed)) {
    throw new PlaceholderError(
      `"{{ ${trimmed} }}" is not a name or a path such as input1.value; put computed values in a component`,
    );
  }
  const name = trimmed
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .join(SEP);
  if (name.length > MAX_NAME) throw new PlaceholderError(`"{{ ${trimmed} }}" is too long`);
  return name;
}

/** `input1__value` -> `input1.value`; `query1__data__0__id` -> `query1.data[0].id`. */
export function paramNameToPath(name: string): string {
  return name
    .split(SEP)
    .map((seg, i) => (i > 0 && /^\d+$/.test(seg) ? `[${seg}]` : i > 0 ? `.${seg}` : seg))
    .join('');
}

/** True when the parameter is bound to app state (its name encodes a path). */
export function isBoundParam(name: string): boolean {
  return name.includes(SEP);
}

/** Builder text -> server text; returns the parameter names in first-use order. */
export function encodePlaceholders(text: string): { text: string; names: string[] } {
  const names: string[] = [];
  const out = text.replace(PLACEHOLDER_RE, (_m, inner: string) => {
    const name = pathToParamName(inner);
    if (!names.includes(name)) names.push(name);
    return `{{ ${name} }}`;
  });
  return { text: out, names };
}

/** Server text -> builder text. */
export function decodePlaceholders(text: string): string {
  return text.replace(PLACEHOLDER_RE, (m, inner: string) => {
    const name = inner.trim();
    return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? `{{ ${paramNameToPath(name)} }}` : m;
  });
}

/** A REST request as the builder edits it: key/value lists of text that may hold `{{ }}`. */
export interface RestDraft {
  method: TRestQueryBody['method'];
  path: string;
  query: [string, string][];
  headers: [string, string][];
  /** JSON text, or empty for no body. */
  body: string;
}

function mapStrings(v: unknown, f: (s: string) => string): unknown {
  if (typeof v === 'string') return f(v);
  if (Array.isArray(v)) return v.map((x) => mapStrings(x, f));
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mapStrings(x, f)]));
  }
  return v;
}

/**
 * Builder REST draft -> server body and parameter names.
 * @throws PlaceholderError for a computed expression; SyntaxError-derived PlaceholderError for a body that is not JSON.
 */
export function encodeRest(draft: RestDraft): { body: TRestQueryBody; names: string[] } {
  const names: string[] = [];
  const enc = (s: string) => {
    const r = encodePlaceholders(s);
    for (const n of r.names) if (!names.includes(n)) names.push(n);
    return r.text;
  };
  let json: unknown;
  if (draft.body.trim() !== '') {
    try {
      json = JSON.parse(draft.body) as unknown;
    } catch {
      throw new PlaceholderError('The request body is not valid JSON');
    }
  }
  const body: TRestQueryBody = { method: draft.method, path: enc(draft.path) };
  const q = draft.query.filter(([k]) => k.trim() !== '');
  const h = draft.headers.filter(([k]) => k.trim() !== '');
  if (q.length) body.query = Object.fromEntries(q.map(([k, v]) => [k.trim(), enc(v)]));
  if (h.length) body.headers = Object.fromEntries(h.map(([k, v]) => [k.trim(), enc(v)]));
  if (json !== undefined) body.body = mapStrings(json, enc) as TRestQueryBody['body'];
  return { body, names };
}

/** Server REST body -> builder draft. */
export function decodeRest(body: TRestQueryBody): RestDraft {
  return {
    method: body.method,
    path: decodePlaceholders(body.path ?? ''),
    query: Object.entries(body.query ?? {}).map(([k, v]) => [k, decodePlaceholders(v)]),
    headers: Object.entries(body.headers ?? {}).map(([k, v]) => [k, decodePlaceholders(v)]),
    body:
      body.body === undefined
        ? ''
        : JSON.stringify(mapStrings(body.body, decodePlaceholders), null, 2),
  };
}

/**
 * The declared parameters for the names a query uses: existing specs are kept (type, default),
 * new bound ones are optional strings, new free ones are required strings.
 */
export function reconcileParamSpecs(
  names: string[],
  existing: TQueryParamSpec[],
  typeHint: (name: string) => TQueryParamSpec['type'] = () => 'string',
): TQueryParamSpec[] {
  return names.map(
    (name) =>
      existing.find((s) => s.name === name) ?? {
        name,
        type: typeHint(name),
        required: !isBoundParam(name),
      },
  );
}

const DECIMAL_TEXT = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * Converts an app-state value to the declared parameter type; undefined = not sent.
 * `number`: a decimal text with more digits than a double holds (`9007199254740993`) is sent as
 * the text, so the server refuses it naming the parameter instead of running with a rounded
 * value. `integer`: text is sent unchanged (the server checks it: a 64-bit decimal integer), so
 * an int8 read from a result as a string goes back exactly; '' is null, as for `number`.
 */
export function coerceParam(type: TQueryParamSpec['type'], v: unknown): unknown {
  if (v === undefined) return undefined;
  if (v === null) return null;
  switch (type) {
    case 'string':
      return toDisplayText(v);
    case 'number': {
      if (typeof v === 'number') return Number.isFinite(v) ? v : null;
      const s = toDisplayText(v).trim();
      const n = Number(s);
      if (DECIMAL_TEXT.test(s) && !isExactNumberText(s)) return s;
      return s === '' || !Number.isFinite(n) ? null : n;
    }
    case 'integer': {
      if (typeof v === 'number') return Number.isFinite(v) ? v : null;
      const s = typeof v === 'bigint' ? v.toString() : toDisplayText(v);
      return s === '' ? null : s;
    }
    case 'boolean':
      return typeof v === 'boolean' ? v : v === 'true' ? true : v === 'false' ? false : Boolean(v);
    case 'json':
      return v;
  }
}
