import type { FastifyInstance } from 'fastify';
import { findInexactJsonNumber, JsonPath } from '../json/json-number-scan';

/** Longest path text an error names (keys are client text). */
const MAX_PATH_TEXT = 200;

/** The 400 naming where the number is; never the number itself (it may be a parameter value). */
export function inexactNumberError(path: JsonPath): Error & { statusCode: number } {
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
 * The one JSON body parser (Fastify's own, which refuses `__proto__` and `constructor` keys),
 * followed by a check that refuses, with a 400 naming its path, any body holding a number that
 * the parse changed (`9007199254740993` read as `...992`): such a body would otherwise run with
 * a value its sender never sent. Node 20's `JSON.parse` gives a reviver no source text (that
 * arrived with V8 11.4 / Node 21, "JSON.parse source text access"), so the text is scanned
 * after the parse, while the parser still holds it. Registered with Nest's `bodyParser: false`
 * (no urlencoded parser: see `cross-site-request.ts`).
 */
export function registerJsonNumberGuard(fastify: FastifyInstance): void {
  const parse = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, raw, done) => {
    // `parseAs: 'string'`: Fastify hands the body as text.
    const body = raw as string;
    void parse(request, body, (error, value) => {
      if (error) {
        done(error, undefined);
        return;
      }
      const path = findInexactJsonNumber(body);
      done(path ? inexactNumberError(path) : null, value);
    });
  });
}
