import { isExactNumberText } from '@bastion/contracts';

/**
 * A number token can only be inexact with more than 15 digits or an exponent of 3 digits: a
 * decimal of at most 15 significant digits in a double's normal range round-trips (DBL_DIG,
 * C11 §5.2.4.2.2), and a mantissa of at most 15 characters with an exponent within ±99 stays
 * in that range. So: a run of 16 digits or points, or such an exponent. A text without either
 * anywhere is exact as a whole.
 */
const CANDIDATE = /[0-9.]{16}|[0-9][eE][+-]?0*[1-9][0-9]{2}/;
/**
 * Strings (skipped whole, escapes included: the unrolled form never backtracks) or a candidate
 * number token (see {@link CANDIDATE}); other numbers produce no match at all. In valid JSON,
 * outside strings, digits only occur in number tokens (RFC 8259 §6), and a part of a number
 * that is not a candidate is not one either.
 */
const STRING_OR_CANDIDATE =
  /"[^"\\]*(?:\\.[^"\\]*)*"|-?[0-9.]{16,}(?:[eE][+-]?[0-9]+)?|-?[0-9.]+[eE][+-]?0*[1-9][0-9]{2,}/g;
/** Every token of a valid JSON text, for naming the path of a number found above. */
const TOKEN = /\s+|"[^"\\]*(?:\\.[^"\\]*)*"|[{}[\]:,]|-?\d[\d.eE+-]*|true|false|null/y;

/** A JSON path: object keys and array indexes from the root. */
export type JsonPath = (string | number)[];

type Frame = { kind: 'object'; key: string | undefined } | { kind: 'array'; index: number };

/** A number token that a double cannot hold exactly, and where it is. */
export interface InexactNumber {
  path: JsonPath;
  /** The token as written. */
  text: string;
}

/** True for a number token whose value `JSON.parse` would change. */
function isInexactToken(token: string): boolean {
  if (token.charCodeAt(0) === 34 /* " */) return false;
  // At most 15 digits and no exponent: exact (see CANDIDATE). Longer ones are walked too.
  if (token.length <= 15 && !/[eE]/.test(token)) return false;
  return !isExactNumberText(token);
}

/**
 * Walks the tokens of a valid JSON text, keeping the path, and calls `visit` for each inexact
 * number token until it returns false or `end` is reached.
 */
function walk(text: string, end: number, visit: (found: InexactNumber) => boolean): void {
  const stack: Frame[] = [];
  let expectKey = false;
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < end) {
    const start = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (!m || start === TOKEN.lastIndex) break;
    const token = m[0];
    const top = stack[stack.length - 1];
    if (token === '{') {
      stack.push({ kind: 'object', key: undefined });
      expectKey = true;
    } else if (token === '[') {
      stack.push({ kind: 'array', index: 0 });
    } else if (token === '}' || token === ']') {
      stack.pop();
    } else if (token === ',') {
      if (top?.kind === 'array') top.index++;
      else expectKey = true;
    } else if (token.startsWith('"')) {
      if (expectKey && top?.kind === 'object') {
        top.key = JSON.parse(token) as string;
        expectKey = false;
      }
    } else if (isInexactToken(token)) {
      const path = stack.map((f) => (f.kind === 'object' ? (f.key ?? '') : f.index));
      if (!visit({ path, text: token })) return;
    }
  }
}

/**
 * Finds the first number in a valid JSON text whose value JavaScript cannot hold exactly
 * ({@link isExactNumberText}: `9007199254740993` would silently become `...992`, `1e400`
 * Infinity). Linear in the text: a text with no run of 16 digits and no exponent is done in one
 * native regex test; else one regex pass that skips strings and short numbers; only when a
 * number is found is the text walked again to name its path.
 * @returns its path, or null when every number is exact.
 */
export function findInexactJsonNumber(text: string): JsonPath | null {
  if (!CANDIDATE.test(text)) return null;
  STRING_OR_CANDIDATE.lastIndex = 0;
  for (let m = STRING_OR_CANDIDATE.exec(text); m; m = STRING_OR_CANDIDATE.exec(text)) {
    if (!isInexactToken(m[0])) continue;
    let path: JsonPath = [];
    walk(text, m.index + m[0].length, (found) => {
      path = found.path;
      return false;
    });
    return path;
  }
  return null;
}

/**
 * `JSON.parse`, except that a number a double cannot hold exactly keeps its text: it comes back
 * as a string (`{"id": 9007199254740993}` gives `{id: "9007199254740993"}`), as the query proxy
 * returns int8 columns. With duplicate keys, a number the last duplicate replaced stays replaced.
 * @throws SyntaxError as `JSON.parse`.
 */
export function parseJsonKeepingDigits(text: string): unknown {
  const parsed = JSON.parse(text) as unknown;
  if (findInexactJsonNumber(text) === null) return parsed;
  const found: InexactNumber[] = [];
  walk(text, text.length, (f) => {
    found.push(f);
    return true;
  });
  let root = parsed;
  for (const { path, text: digits } of found) {
    if (path.length === 0) {
      root = digits;
      continue;
    }
    let holder: unknown = root;
    for (const key of path.slice(0, -1)) {
      holder = holder !== null && typeof holder === 'object' ? Reflect.get(holder, key) : undefined;
    }
    const last = path[path.length - 1];
    if (holder === null || typeof holder !== 'object' || !Object.hasOwn(holder, last)) continue;
    // Only where the parse left this token's (rounded) value: not a later duplicate key's.
    if (Reflect.get(holder, last) !== Number(digits)) continue;
    // defineProperty: a key named "__proto__" is an own data property of the parse result.
    Object.defineProperty(holder, last, {
      value: digits,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return root;
}
