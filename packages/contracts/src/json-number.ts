/**
 * Exactness of JSON number text. JSON (RFC 8259 §6) puts no limit on a number's digits, but
 * JavaScript reads every number into an IEEE 754 double, so `9007199254740993` silently becomes
 * `9007199254740992` and `1e400` becomes `Infinity`. These helpers tell whether a number text
 * survives that reading with its value unchanged.
 */

/** A decimal value as sign, significant digits (no leading or trailing zeros) and point position. */
interface Decimal {
  negative: boolean;
  /** Significant digits; '' for zero. */
  digits: string;
  /** The value is 0.<digits> x 10^point. */
  point: number;
}

const isDigit = (c: number) => c >= 48 && c <= 57;

/** Scans the digits from `i`; returns the index after the last one. */
function digitsEnd(text: string, i: number): number {
  while (i < text.length && isDigit(text.charCodeAt(i))) i++;
  return i;
}

/**
 * Parses `-?\d+(\.\d+)?([eE][+-]?\d+)?` (leading zeros allowed) into a {@link Decimal}, or null.
 * A hand-written scan: this runs for every long number of a request body.
 */
function toDecimal(text: string): Decimal | null {
  const n = text.length;
  const negative = text.charCodeAt(0) === 45; /* - */
  const intStart = negative ? 1 : 0;
  const intEnd = digitsEnd(text, intStart);
  if (intEnd === intStart) return null;
  let i = intEnd;
  let fraction = '';
  if (text.charCodeAt(i) === 46 /* . */) {
    const end = digitsEnd(text, i + 1);
    if (end === i + 1) return null;
    fraction = text.slice(i + 1, end);
    i = end;
  }
  let exponent = 0;
  const e = text.charCodeAt(i);
  if (e === 101 || e === 69 /* e E */) {
    i++;
    const sign = text.charCodeAt(i);
    if (sign === 43 || sign === 45) i++;
    const end = digitsEnd(text, i);
    if (end === i) return null;
    exponent = Number(text.slice(i, end)) * (sign === 45 ? -1 : 1);
    i = end;
  }
  if (i !== n) return null;
  const all = text.slice(intStart, intEnd) + fraction;
  let lead = 0;
  while (lead < all.length && all.charCodeAt(lead) === 48) lead++;
  let end = all.length;
  while (end > lead && all.charCodeAt(end - 1) === 48) end--;
  const digits = all.slice(lead, end);
  if (digits === '') return { negative: false, digits, point: 0 };
  return { negative, digits, point: intEnd - intStart + exponent - lead };
}

/**
 * True when the decimal number `text` (JSON number grammar, e.g. `12`, `-0.5`, `1E+3`) denotes
 * exactly the value of the double that `Number(text)` gives, as written in its shortest
 * round-trip form (ECMA-262 Number::toString): no digit is lost, nothing overflows to Infinity
 * or underflows to 0. `0.1`, `1.50`, `1e3` and `9007199254740992` are exact;
 * `9007199254740993`, `9007199254740993.0`, `0.1000000000000000055511151231257827`, `1e400`
 * and `1e-400` are not. Text that is not a decimal number is not exact.
 * Cost: a text already in its shortest form (all that JSON.stringify writes) is one
 * Number-to-String conversion; others are compared digit by digit.
 */
export function isExactNumberText(text: string): boolean {
  const value = Number(text);
  if (!Number.isFinite(value)) return false;
  const shortest = String(value);
  // What JSON.stringify writes is already the shortest form: the common case costs nothing more.
  if (shortest === text) return true;
  const given = toDecimal(text);
  const held = toDecimal(shortest);
  if (!given || !held) return false;
  return (
    given.negative === held.negative && given.digits === held.digits && given.point === held.point
  );
}
