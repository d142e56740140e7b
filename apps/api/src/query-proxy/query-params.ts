import type { TQueryParamSpec } from '@bastion/contracts';
import { QueryErrorCode, QueryException } from './query.exception';

/** A checked parameter value: string, finite number, boolean, null or a JSON value. */
export type ParamValue = unknown;

const fail = (message: string) => new QueryException(QueryErrorCode.InvalidParams, message);

function typeOk(spec: TQueryParamSpec, value: unknown): boolean {
  if (value === null) return true;
  switch (spec.type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'json':
      return true;
  }
}

/**
 * Checks run parameters against the query's declared parameters and the names its text uses.
 * @param specs declared parameters (type, required, default).
 * @param used names the query text references; each must be declared.
 * @param values the browser's `{params}`.
 * @returns name -> value for every declared parameter (defaults applied, absent optional = null).
 * @throws QueryException(InvalidParams, 400) naming every unknown, missing or mistyped parameter.
 */
export function checkParams(
  specs: TQueryParamSpec[],
  used: string[],
  values: Record<string, unknown>,
): Map<string, ParamValue> {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const undeclared = used.filter((n) => !byName.has(n));
  if (undeclared.length > 0) {
    throw fail(`The query uses undeclared parameters: ${[...new Set(undeclared)].join(', ')}`);
  }
  const unknown = Object.keys(values).filter((k) => !byName.has(k));
  if (unknown.length > 0) throw fail(`Unknown parameters: ${unknown.join(', ')}`);
  const result = new Map<string, ParamValue>();
  const missing: string[] = [];
  const wrong: string[] = [];
  for (const spec of specs) {
    const given = Object.prototype.hasOwnProperty.call(values, spec.name);
    const value = given ? values[spec.name] : spec.default;
    if (value === undefined) {
      if (spec.required) missing.push(spec.name);
      else result.set(spec.name, null);
      continue;
    }
    if (!typeOk(spec, value)) {
      wrong.push(`${spec.name} (expected ${spec.type})`);
      continue;
    }
    result.set(spec.name, value);
  }
  if (missing.length > 0) throw fail(`Missing parameters: ${missing.join(', ')}`);
  if (wrong.length > 0) throw fail(`Parameters of the wrong type: ${wrong.join(', ')}`);
  return result;
}

/**
 * Declared parameters for an ad-hoc preview without specs: one per used name, typed from the
 * given value (absent = required string, so the error names it).
 */
export function inferSpecs(used: string[], values: Record<string, unknown>): TQueryParamSpec[] {
  return [...new Set([...used, ...Object.keys(values)])].map((name) => {
    const v = values[name];
    const type =
      typeof v === 'number'
        ? 'number'
        : typeof v === 'boolean'
          ? 'boolean'
          : typeof v === 'string' || v === undefined || v === null
            ? 'string'
            : 'json';
    return { name, type, required: true };
  });
}

/**
 * Converts a checked value into what a SQL driver binds: JSON values become JSON text (a driver
 * must never expand an object into SQL), booleans become 1/0 for SQLite.
 */
export function toDriverValue(
  value: ParamValue,
  dialect: 'postgres' | 'mysql' | 'sqlite',
): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return dialect === 'sqlite' ? (value ? 1 : 0) : value;
  if (typeof value === 'string' || typeof value === 'number') return value;
  return JSON.stringify(value);
}
