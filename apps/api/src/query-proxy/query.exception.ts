import { AppException } from '../common/errors/app.exception';

export enum QueryErrorCode {
  InvalidParams = 'invalid_params',
  InvalidQuery = 'invalid_query',
  SyntaxError = 'syntax_error',
  PermissionDenied = 'permission_denied',
  ObjectNotFound = 'object_not_found',
  QueryFailed = 'query_failed',
  NotAllowed = 'query_not_allowed',
  NotFound = 'query_not_found',
  Timeout = 'query_timeout',
  Unreachable = 'datasource_unreachable',
  UpstreamError = 'upstream_error',
  TooManyRuns = 'too_many_concurrent_runs',
  ClientGone = 'client_gone',
  Internal = 'query_internal_error',
}

/** HTTP status of each query error code; exhaustive so a new code cannot be forgotten. */
export function httpStatusForQueryError(code: QueryErrorCode): number {
  switch (code) {
    case QueryErrorCode.InvalidParams:
    case QueryErrorCode.InvalidQuery:
      return 400;
    case QueryErrorCode.NotAllowed:
      return 403;
    case QueryErrorCode.NotFound:
      return 404;
    case QueryErrorCode.SyntaxError:
    case QueryErrorCode.PermissionDenied:
    case QueryErrorCode.ObjectNotFound:
    case QueryErrorCode.QueryFailed:
    case QueryErrorCode.Unreachable:
    case QueryErrorCode.UpstreamError:
      return 422;
    case QueryErrorCode.ClientGone:
      // Nobody reads it: the client closed the connection while its run waited in the queue.
      return 408;
    case QueryErrorCode.TooManyRuns:
      return 429;
    case QueryErrorCode.Timeout:
      return 504;
    case QueryErrorCode.Internal:
      return 500;
  }
}

/** A query proxy error; the message is shown to the browser and names no secret or address. */
export class QueryException extends AppException {
  readonly status: number;
  constructor(
    readonly code: QueryErrorCode,
    message: string,
  ) {
    super(message);
    this.status = httpStatusForQueryError(code);
  }
}
