import { AppException } from '../common/errors/app.exception';

export enum AuditErrorCode {
  MetadataStoreUnavailable = 'metadata_store_unavailable',
}

/** HTTP status of each audit error code; exhaustive so a new code cannot be forgotten. */
export function httpStatusForAuditError(code: AuditErrorCode): number {
  switch (code) {
    case AuditErrorCode.MetadataStoreUnavailable:
      return 503;
  }
}

/**
 * An action could not be audited, so it is not answered: a query run whose `query.run` entry
 * could not be committed (metadata store down) answers 503 `metadata_store_unavailable` and
 * withholds its result ("no answered run without its audit entry", README.md in this folder).
 */
export class AuditException extends AppException {
  readonly status: number;
  constructor(
    readonly code: AuditErrorCode,
    message: string,
  ) {
    super(message);
    this.status = httpStatusForAuditError(code);
  }
}
