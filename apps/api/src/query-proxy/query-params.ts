import type { TQueryParamSpec } from '@bastion/contracts';
import { QueryErrorCode, QueryException } from './query.exception';

/**
 * A checked parameter value: string, number (within ±(2^53 - 1)), bigint (an `integer`
 * parameter: signed 64-bit), boolean, null or a JSON value.
 */
export type ParamValue = unknown;

const fail = (message: string) => new QueryException(QueryErrorCode.InvalidParams, message);

/** Signed 64-bit range of an `integer` parameter (PostgreSQL int8, MariaDB BIGINT, SQLite INTEGER). */
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** Decimal integer text: optional `-`, no `+`, no leading zeros, no spaces, no exponent. */
const INTEGER_TEXT = /^(?:0|-?[1-9][0-9]{0,18})$/;

/** The checked value, or why it does not fit: `'type'` (plain type mismatch) or a sentence. */
type Check = { ok: true; value: ParamValue } | { ok: false; reason: string };

const TYPE_MISMATCH: Check = { ok: false, reason: 'type' };

/**
 * An `integer` value: a decimal string within the signed 64-bit range, or a JSON number that is
 * a safe integer. Checked as text (never through a double), so 9007199254740993 stays itself.
 */
function checkInteger(value: unknown): Check {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value)
      ? { ok: true, value: BigInt(value) }
      : {
          ok: false,
          reason: Number.isInteger(value)
            ? 'a JSON number beyond ±9007199254740991 is not exact: send the integer as a decimal string'
            : 'expected an integer, not a fraction',
        };
  }
  if (typeof value !== 'string') return TYPE_MISMATCH;
  if (!INTEGER_TEXT.test(value)) {
    return {
      ok: false,
      reason:
        'expected a decimal integer string: digits with an optional leading "-", ' +
        'no "+", leading zeros, spaces, fraction or exponent',
    };
  }
  const big = BigInt(value);
  if (big < INT64_MIN || big > INT64_MAX) {
    return {
      ok: false,
      reason: 'outside the signed 64-bit range -9223372036854775808..9223372036854775807',
    };
  }
  return { ok: true, value: big };
}

function checkValue(spec: TQueryParamSpec, value: unknown): Check {
  if (value === null) return { ok: true, value: null };
  switch (spec.type) {
    case 'string':
      return typeof value === 'string' ? { ok: true, value } : TYPE_MISMATCH;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) return TYPE_MISMATCH;
      // Beyond 2^53 - 1 a double is not exact: 9007199254740993 arrives as ...992.
      return Math.abs(value) <= Number.MAX_SAFE_INTEGER
        ? { ok: true, value }
        : {
            ok: false,
            reason:
              'outside ±9007199254740991, where a number is not exact; declare the parameter ' +
              'as integer and send a decimal string',
          };
    case 'integer':
      return checkInteger(value);
    case 'boolean':
      return typeof value === 'boolean' ? { ok: true, value } : TYPE_MISMATCH;
    case 'json':
      return { ok: true, value };
  }
}

/**
 * Checks run parameters against the query's declared parameters and the names its text uses.
 * `number`: a finite JSON number within ±(2^53 - 1). `integer`: a decimal string in the signed
 * 64-bit range (no `+`, leading zeros, spaces, fraction or exponent) or a safe-integer JSON
 * number, returned as a bigint so that no double ever holds it. (A JSON number the body parse
 * changed, such as 9007199254740993, never gets here: common/http/json-number-guard.ts.)
 * @param specs declared parameters (type, required, default).
 * @param used names the query text references; each must be declared.
 * @param values the browser's `{params}`.
 * @returns name -> value for every declared parameter (defaults applied, absent optional = null).
 * @throws QueryException(InvalidParams, 400) naming every unknown, missing or mistyped parameter
 *   (`Parameters of the wrong type: name (expected string)`, `params.id: <why>`).
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
  const invalid: string[] = [];
  for (const spec of specs) {
    const given = Object.prototype.hasOwnProperty.call(values, spec.name);
    const value = given ? values[spec.name] : spec.default;
    if (value === undefined) {
      if (spec.required) missing.push(spec.name);
      else result.set(spec.name, null);
      continue;
    }
    const checked = checkValue(spec, value);
    if (checked.ok) result.set(spec.name, checked.value);
    else if (checked.reason === 'type') wrong.push(`${spec.name} (expected ${spec.type})`);
    else invalid.push(`params.${spec.name}: ${checked.reason}`);
  }
  if (missing.length > 0) throw fail(`Missing parameters: ${missing.join(', ')}`);
  const problems = [...invalid];
  if (wrong.length > 0) problems.unshift(`Parameters of the wrong type: ${wrong.join(', ')}`);
  if (problems.length > 0) throw fail(problems.join('; '));
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
 * must never expand an object into SQL), booleans become 1/0 for SQLite. An `integer` (bigint)
 * stays a bigint for PostgreSQL (sent as text with the int8 type in Parse:
 * postgres-pipelined-run.ts) and SQLite (better-sqlite3 binds a bigint as a 64-bit INTEGER, so
 * it compares numerically); MariaDB gets its decimal text (mysql2 3.15 binds no 64-bit integer
 * type; the server converts the string exactly where a BIGINT is compared or stored).
 */
export function toDriverValue(
  value: ParamValue,
  dialect: 'postgres' | 'mysql' | 'sqlite',
): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return dialect === 'mysql' ? value.toString() : value;
  if (typeof value === 'boolean') return dialect === 'sqlite' ? (value ? 1 : 0) : value;
  if (typeof value === 'string' || typeof value === 'number') return value;
  return JSON.stringify(value);
}
