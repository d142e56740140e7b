import {
  CallHandler,
  createParamDecorator,
  ExecutionContext,
  Injectable,
  NestInterceptor,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { map, type Observable } from 'rxjs';
import { AppException } from '../errors/app.exception';

/**
 * Optimistic concurrency for editable resources (apps, saved queries, datasources), after
 * RFC 9110 section 13.1.1 (If-Match) and RFC 6585 section 3 (428 Precondition Required):
 * reads carry `version` in the body and `ETag: "<version>"`; a PATCH sends `If-Match:
 * "<version>"` back; a missing header is 428, a stale one 409 with `currentVersion`.
 */

/** 428: a PATCH came without `If-Match`. */
export class PreconditionRequiredException extends AppException {
  readonly status = 428;
  readonly code = 'precondition_required';
}

/** 409: the `If-Match` version is not the resource's version any more. */
export class VersionConflictException extends AppException {
  readonly status = 409;
  readonly code = 'version_conflict';
  constructor(
    readonly currentVersion: number,
    what = 'resource',
  ) {
    super(
      `This ${what} was changed elsewhere (it is at version ${currentVersion}); reload it, or send your change again with If-Match: "${currentVersion}"`,
    );
  }
}

/** 400: `If-Match` is present but not one version (`"3"` or `W/"3"`). */
export class MalformedIfMatchException extends AppException {
  readonly status = 400;
  readonly code = 'malformed_if_match';
}

const ENTITY_TAG = /^(?:W\/)?"(\d{1,15})"$/;

/**
 * The version named by an `If-Match` header: `"3"` or the weak `W/"3"` (a bare `3` is accepted
 * too, for hand-written clients).
 * @returns the version, or undefined when the header is absent or empty
 * @throws MalformedIfMatchException (400) for anything else (`*`, lists, other tags)
 */
export function parseIfMatch(header: string | string[] | undefined): number | undefined {
  const raw = Array.isArray(header) ? header.join(',') : header;
  if (raw === undefined || raw.trim() === '') return undefined;
  const text = raw.trim();
  const match = ENTITY_TAG.exec(text) ?? /^(\d{1,15})$/.exec(text);
  if (!match) {
    throw new MalformedIfMatchException(
      'If-Match: give the one version you last read, as "<version>" (for example "3")',
    );
  }
  return Number(match[1]);
}

/** OpenAPI descriptions of the header (`@ApiHeader`). */
export const IF_MATCH_REQUIRED = {
  name: 'If-Match',
  required: true,
  description: 'The version last read, as "<version>" (the ETag). 428 without, 409 when stale.',
};
export const IF_MATCH_OPTIONAL = {
  name: 'If-Match',
  required: false,
  description: 'Optional: the version last read, as "<version>"; 409 when stale.',
};

/** The `ETag` value for a version: `"<version>"` (strong). */
export const etagOf = (version: number): string => `"${version}"`;

/**
 * Parameter decorator: the `If-Match` version of the request, or undefined when absent
 * (400 when malformed). Services call {@link requireIfMatch} once they know the resource
 * exists, so another workspace's id is a 404 whatever the headers.
 */
export const IfMatchVersion = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): number | undefined => {
    const request = ctx.switchToHttp().getRequest<FastifyRequest>();
    return parseIfMatch(request.headers['if-match']);
  },
);

/**
 * The version a PATCH must carry. @throws PreconditionRequiredException (428) when absent
 */
export function requireIfMatch(version: number | undefined): number {
  if (version === undefined) {
    throw new PreconditionRequiredException(
      'If-Match is required: send the version you last read as If-Match: "<version>" (the ETag of GET)',
    );
  }
  return version;
}

/** Sets `ETag: "<version>"` from the handler's result `{version}` (reads, creates, PATCHes). */
@Injectable()
export class VersionEtagInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    return next.handle().pipe(
      map((body: unknown) => {
        const version = (body as { version?: unknown } | null)?.version;
        if (typeof version === 'number') void reply.header('etag', etagOf(version));
        return body;
      }),
    );
  }
}
