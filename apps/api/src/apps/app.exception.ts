import { AppException } from '../common/errors/app.exception';

export enum AppErrorCode {
  AppNotFound = 'app_not_found',
  QueryNotFound = 'query_not_found',
  RevisionNotFound = 'revision_not_found',
  NotPublished = 'app_not_published',
  QueryNotPublished = 'query_not_published',
  DraftNeedsEditor = 'draft_needs_editor',
  QueryNameTaken = 'query_name_taken',
  InvalidQuery = 'invalid_query',
  InvalidDefinition = 'invalid_definition',
}

/** HTTP status of each code; exhaustive so a new code cannot be forgotten. */
export function httpStatusForAppError(code: AppErrorCode): number {
  switch (code) {
    case AppErrorCode.AppNotFound:
    case AppErrorCode.QueryNotFound:
    case AppErrorCode.RevisionNotFound:
    case AppErrorCode.NotPublished:
      return 404;
    case AppErrorCode.QueryNotPublished:
    case AppErrorCode.DraftNeedsEditor:
      return 403;
    case AppErrorCode.QueryNameTaken:
      return 409;
    case AppErrorCode.InvalidQuery:
    case AppErrorCode.InvalidDefinition:
      return 400;
  }
}

/** An apps error; the message is shown to the client. */
export class AppsException extends AppException {
  readonly status: number;
  constructor(
    readonly code: AppErrorCode,
    message: string,
  ) {
    super(message);
    this.status = httpStatusForAppError(code);
  }
}
