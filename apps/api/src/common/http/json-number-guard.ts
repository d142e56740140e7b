import type { FastifyInstance, FastifyRequest } from 'fastify';
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
