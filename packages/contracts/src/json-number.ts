/**
 * Exactness of JSON number text. JSON (RFC 8259 §6) puts no limit on a number's digits, but
 * JavaScript reads every number into an IEEE 754 double, so `9007199254740993` silently becomes
 * `9007199254740992` and `1e400` becomes `Infinity`. These helpers tell whether a number text
 * survives that reading with its value unchanged.
 */

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/** A decimal value as sign, significant digits (no leading or trailing zeros) and point position. */
interface Decimal {
  negative: boolean;
  /** Significant digits; '' for zero. */
  digits: string;
  /** The value is 0.<digits> x 10^point. */
  point: number;
}

function toDecimal(text: string): Decimal | null {
  const m = DECIMAL.exec(text);
  if (!m) return null;
  const all = m[2] + (m[3] ?? '');
  const lead = all.length - all.replace(/^0+/, '').length;
  const digits = all.slice(lead).replace(/0+$/, '');
  const point = m[2].length + Number(m[4] ?? '0') - lead;
  return { negative: m[1] === '-' && digits !== '', digits, point: digits === '' ? 0 : point };
}

/**
 * True when the decimal number `text` (JSON number grammar, e.g. `12`, `-0.5`, `1E+3`) denotes
 * exactly the value of the double that `Number(text)` gives, as written in its shortest
 * round-trip form (ECMA-262 Number::toString): no digit is lost, nothing overflows to Infinity
 * or underflows to 0. `0.1`, `1.50`, `1e3` and `9007199254740992` are exact;
 * `9007199254740993`, `9007199254740993.0`, `0.1000000000000000055511151231257827`, `1e400`
 * and `1e-400` are not. Text that is not a decimal number is not exact.
 * Cost: a regex test; texts of at most 15 digits without exponent take a fast path (any decimal
 * of at most 15 significant digits round-trips through a double: DBL_DIG, C11 §5.2.4.2.2).
 */
export function isExactNumberText(text: string): boolean {
  const value = Number(text);
  if (!Number.isFinite(value) || text.trim() !== text || text === '') return false;
  if (!/[eE]/.test(text) && text.replace(/[^0-9]/g, '').length <= 15) {
    return DECIMAL.test(text);
  }
  const given = toDecimal(text);
  const held = toDecimal(String(value).replace(/e\+/, 'e'));
  if (!given || !held) return false;
  return (
    given.negative === held.negative && given.digits === held.digits && given.point === held.point
  );
}
