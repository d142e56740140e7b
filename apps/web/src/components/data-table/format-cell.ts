/**
 * How the data table shows a value without changing it. The server encodes results losslessly
 * (apps/api/src/query-proxy/result-encoding.ts): 64-bit integers and decimals as strings, zoned
 * timestamps as UTC ISO text (`...Z`), zoneless timestamps and dates as ISO text, JSON as JSON.
 * Display only formats; copy and CSV use `rawText`, the value as given.
 */

/** What a column holds, from the database type name when known, else from its values. */
export type ColumnKind = 'number' | 'boolean' | 'datetime' | 'date' | 'json' | 'text';

/** The viewer's locale and time zone (BCP 47 tag, IANA zone); defaults come from the browser. */
export interface CellLocale {
  locale: string;
  timeZone: string;
}

export function browserLocale(): CellLocale {
  const o = new Intl.DateTimeFormat().resolvedOptions();
  return { locale: o.locale, timeZone: o.timeZone };
}

// Database type names (PostgreSQL, MariaDB/MySQL, SQLite declared types) by kind.
const NUMBER_TYPES =
  /^(_?)(int[248]?|integer|smallint|mediumint|tinyint|bigint|float[48]?|double|real|numeric|decimal|oid|year|number)\b/i;
const DATETIME_TYPES = /^(timestamptz|timestamp|datetime)\b/i;
const DATE_TYPES = /^date$/i;
const JSON_TYPES = /^(json|jsonb)$/i;
const BOOL_TYPES = /^(bool|boolean)$/i;

/** A decimal literal as a string: optional sign, digits, optional fraction (no exponent). */
const DECIMAL_RE = /^(-?)(\d+)(?:\.(\d+))?$/;
/** ISO 8601 date-time, with or without a zone (`Z` / `+02:00` / `+0200`). */
const ISO_DATETIME_RE =
  /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d(?::\d\d(?:\.\d+)?)?)(Z|[+-]\d\d(?::?\d\d)?)?$/;
const ISO_DATE_RE = /^\d{4}-\d\d-\d\d$/;

/** Column kind from a database type name; `undefined` when the name says nothing useful. */
export function kindOfType(type: string | undefined): ColumnKind | undefined {
  if (!type) return undefined;
  if (type.startsWith('_')) return 'json'; // PostgreSQL arrays arrive as JSON arrays
  if (NUMBER_TYPES.test(type)) return 'number';
  if (DATETIME_TYPES.test(type)) return 'datetime';
  if (DATE_TYPES.test(type)) return 'date';
  if (JSON_TYPES.test(type)) return 'json';
  if (BOOL_TYPES.test(type)) return 'boolean';
  return 'text';
}

/**
 * Column kind from values (a table bound to any list has no types): the kind every non-null
 * value of the first `limit` rows agrees on. Strings are never taken as numbers here (a zip
 * code "01234" is text), only real JSON numbers; ISO strings count as dates.
 */
export function kindOfValues(values: unknown[], limit = 200): ColumnKind {
  let kind: ColumnKind | undefined;
  let seen = 0;
  for (const v of values) {
    if (seen >= limit) break;
    if (v === null || v === undefined) continue;
    seen++;
    const k: ColumnKind =
      typeof v === 'number'
        ? 'number'
        : typeof v === 'boolean'
          ? 'boolean'
          : typeof v === 'object'
            ? 'json'
            : typeof v === 'string' && ISO_DATETIME_RE.test(v)
              ? 'datetime'
              : typeof v === 'string' && ISO_DATE_RE.test(v)
                ? 'date'
                : 'text';
    if (kind === undefined) kind = k;
    else if (kind !== k) return k === 'json' || kind === 'json' ? 'json' : 'text';
  }
  return kind ?? 'text';
}

/** The value as given, as text: what copy and CSV export carry. `null` is empty. */
export function rawText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  try {
    return JSON.stringify(v) ?? '';
  } catch {
    return '';
  }
}

/** Per locale: an integer formatter, its minus sign, decimal separator and digits 0-9. */
interface NumberParts {
  int: Intl.NumberFormat;
  minus: string;
  sep: string;
  digits: string[];
}
const numberParts = new Map<string, NumberParts>();
function partsOf(locale: string): NumberParts {
  let p = numberParts.get(locale);
  if (!p) {
    const int = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
    const minus = int.formatToParts(-1).find((x) => x.type === 'minusSign')?.value ?? '-';
    const sep =
      new Intl.NumberFormat(locale, { minimumFractionDigits: 1 })
        .formatToParts(1.5)
        .find((x) => x.type === 'decimal')?.value ?? '.';
    const digits = Array.from({ length: 10 }, (_, d) => int.format(d));
    p = { int, minus, sep, digits };
    numberParts.set(locale, p);
  }
  return p;
}

/**
 * A decimal formatted in the locale with every digit kept: the integer part through
 * Intl.NumberFormat as a BigInt (grouping, locale digits), the fraction appended digit for digit
 * after the locale's decimal separator. `undefined` when `text` is not a plain decimal literal.
 */
export function formatDecimal(text: string, locale: string): string | undefined {
  const m = DECIMAL_RE.exec(text);
  if (!m) return undefined;
  const p = partsOf(locale);
  // Up to 15 digits a double holds exactly; longer integers go through BigInt.
  const int = p.int.format(m[2].length <= 15 ? Number(m[2]) : BigInt(m[2]));
  const frac = m[3] ? `${p.sep}${m[3].replace(/\d/g, (d) => p.digits[Number(d)])}` : '';
  return `${m[1] ? p.minus : ''}${int}${frac}`;
}

/** A JS number in the locale, every digit of its shortest round-trip form kept. */
export function formatNumber(n: number, locale: string): string {
  const text = String(n);
  // Exponent forms (1e+21, 5e-7) and NaN/Infinity are shown as JS writes them.
  return formatDecimal(text, locale) ?? text;
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();
function dateFormat(key: string, make: () => Intl.DateTimeFormat): Intl.DateTimeFormat {
  let f = dateFormats.get(key);
  if (!f) {
    f = make();
    dateFormats.set(key, f);
  }
  return f;
}

/**
 * An ISO date-time in the viewer's locale. A zoned value (`Z`, `+02:00`) is shown in the
 * viewer's time zone; a zoneless one is a wall-clock time and is shown as written (no shift).
 * `undefined` when `text` is not ISO 8601 or out of range.
 */
export function formatDateTime(text: string, { locale, timeZone }: CellLocale): string | undefined {
  const m = ISO_DATETIME_RE.exec(text);
  if (!m) return undefined;
  const zoned = m[3] !== undefined;
  const ms = Date.parse(zoned ? text : `${text}Z`);
  if (Number.isNaN(ms)) return undefined;
  const tz = zoned ? timeZone : 'UTC';
  const f = dateFormat(
    `dt|${locale}|${tz}|${zoned}`,
    () =>
      new Intl.DateTimeFormat(locale, {
        dateStyle: 'medium',
        timeStyle: zoned ? 'long' : 'medium',
        timeZone: tz,
      }),
  );
  return f.format(ms);
}

/** An ISO calendar date (`2024-03-01`) in the viewer's locale; the day never shifts by zone. */
export function formatDate(text: string, locale: string): string | undefined {
  if (!ISO_DATE_RE.test(text)) return undefined;
  const ms = Date.parse(`${text}T00:00:00Z`);
  if (Number.isNaN(ms)) return undefined;
  return dateFormat(
    `d|${locale}`,
    () => new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeZone: 'UTC' }),
  ).format(ms);
}

/** Collapsed summary of a JSON value: `{3 keys}`, `[5 items]` (singular for one). */
export function jsonSummary(v: object): string {
  if (Array.isArray(v)) return `[${v.length} ${v.length === 1 ? 'item' : 'items'}]`;
  const n = Object.keys(v).length;
  return `{${n} ${n === 1 ? 'key' : 'keys'}}`;
}

/** What a cell shows: text, whether it is right-aligned, and a JSON value to expand. */
export interface CellDisplay {
  text: string;
  numeric: boolean;
  json?: object;
  isNull?: boolean;
}

/**
 * The display of one value in a column of `kind`. A value that does not fit its column's kind
 * (text in a number column: `NaN`, `Infinity`) is shown as given.
 */
export function displayCell(v: unknown, kind: ColumnKind, loc: CellLocale): CellDisplay {
  if (v === null || v === undefined) return { text: 'null', numeric: false, isNull: true };
  if (typeof v === 'object') return { text: jsonSummary(v), numeric: false, json: v };
  if (typeof v === 'number') return { text: formatNumber(v, loc.locale), numeric: true };
  if (typeof v === 'string') {
    if (kind === 'number') {
      const t = formatDecimal(v, loc.locale);
      return t === undefined ? { text: v, numeric: false } : { text: t, numeric: true };
    }
    if (kind === 'datetime' || kind === 'date') {
      const t = formatDateTime(v, loc) ?? formatDate(v, loc.locale);
      return { text: t ?? v, numeric: false };
    }
  }
  return { text: rawText(v), numeric: false };
}

/** JSON formatted for the expanded view (2-space indent). */
export function formatJson(v: object): string {
  try {
    return JSON.stringify(v, null, 2);
  } catch {
    return rawText(v);
  }
}

/**
 * Sort order of two values: nulls last, numbers (and decimal strings, exactly for integers past
 * 2^53 via BigInt when both are integers) numerically, ISO dates as text (ISO order is time order
 * for the same zone), everything else by locale collation.
 */
export function compareValues(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return 1;
  if (b === null || b === undefined) return -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = rawText(a);
  const sb = rawText(b);
  const da = DECIMAL_RE.exec(sa);
  const db = DECIMAL_RE.exec(sb);
  if (da && db) {
    if (!da[3] && !db[3]) {
      const x = BigInt(sa);
      const y = BigInt(sb);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    return Number(sa) - Number(sb);
  }
  return sa.localeCompare(sb);
}
