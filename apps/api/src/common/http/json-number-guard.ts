import { isExactNumberText } from '@bastion/contracts';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * Strings (skipped whole, escapes included: the unrolled form never backtracks) or a number
 * token. In valid JSON, outside strings, a run of these characters starting with `-` or a digit
 * is exactly one number token (RFC 8259 §6).
 */
const STRING_OR_NUMBER = /"[^"\\]*(?:\\.[^"\\]*)*"|-?\d[\d.eE+-]*/g;
/** Every token of a valid JSON text, for naming the path of a token found above. */
const TOKEN = /\s+|"[^"\\]*(?:\\.[^"\\]*)*"|[{}[\]:,]|-?\d[\d.eE+-]*|true|false|null/y;

/** Longest path text an error names (keys are client text). */
const MAX_PATH_TEXT = 200;

type Frame = { kind: 'object'; key: string | undefined } | { kind: 'array'; index: number };

/** The JSON path (`params.id`, `rows.3.n`) of the token starting at `offset` of a valid JSON text. */
function pathAt(text: string, offset: number): (string | number)[] {
  const stack: Frame[] = [];
  let expectKey = false;
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < offset) {
    const start = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (!m) break;
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
    } else if (token.startsWith('"') && expectKey && top?.kind === 'object') {
      top.key = JSON.parse(token) as string;
      expectKey = false;
    }
    if (start === TOKEN.lastIndex) break;
  }
  return stack.map((f) => (f.kind === 'object' ? (f.key ?? '') : f.index));
}

/**
 * Finds the first number in a valid JSON text whose value JavaScript cannot hold exactly
 * ({@link isExactNumberText}: `9007199254740993` would silently become `...992`, `1e400`
 * Infinity). Linear in the text; a number of at most 15 digits without exponent costs one regex
 * match.
 * @returns its path (object keys and array indexes from the root), or null when every number is
 *   exact.
 */
export function findInexactJsonNumber(text: string): (string | number)[] | null {
  STRING_OR_NUMBER.lastIndex = 0;
  for (let m = STRING_OR_NUMBER.exec(text); m; m = STRING_OR_NUMBER.exec(text)) {
    const token = m[0];
    if (token.charCodeAt(0) === 34 /* " */) continue;
    if (token.length <= 15 && !/[eE]/.test(token)) continue;
    if (!isExactNumberText(token)) return pathAt(text, m.index);
  }
  return null;
}

/** The 400 naming where the number is; never the number itself (it may be a parameter value). */
export function inexactNumberError(path: (string | number)[]): Error & { statusCode: number } {
  const where = path.join('.').slice(0, MAX_PATH_TEXT) || 'body';
  return Object.assign(
    new Error(
      `${where}: this number cannot be held exactly (a JSON number is read as a double: ` +
        'integers up to ±9007199254740991, about 15 significant digits, no overflow to ' +
        'infinity); send it as a string, e.g. to a query parameter of type integer',
    ),
    { statusCode: 400 },
  );
}

/**
 * Refuses, with a 400 naming its path, any JSON request body holding a number that the parse
 * changed (`9007199254740993` read as `...992`): such a body would otherwise run with a value
 * its sender never sent. Node 20's `JSON.parse` gives a reviver no source text (that arrived
 * with V8 11.4 / Node 21, "JSON.parse source text access"), so the raw body is scanned after
 * the parse: it needs Nest's `rawBody: true` (the Buffer the JSON parser read), dropped here
 * once checked. Form bodies (the other kind Nest parses) hold no JSON numbers and are skipped.
 */
export function registerJsonNumberGuard(fastify: FastifyInstance): void {
  fastify.addHook('preValidation', (request, _reply, done) => {
    const holder = request as FastifyRequest & { rawBody?: Buffer };
    const raw = holder.rawBody;
    if (raw === undefined) return done();
    holder.rawBody = undefined;
    const mediaType = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (mediaType === 'application/x-www-form-urlencoded') return done();
    const path = findInexactJsonNumber(raw.toString('utf8'));
    done(path ? inexactNumberError(path) : undefined);
  });
}
