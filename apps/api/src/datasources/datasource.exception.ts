import { AppException } from '../common/errors/app.exception';

export enum DatasourceErrorCode {
  /** Config or a secret field fails validation; the message names the field. */
  InvalidConfig = 'invalid_config',
  /** A target field changed without every set secret given again. */
  SecretsRequired = 'secrets_required',
  UnknownType = 'unknown_type',
  NotFound = 'not_found',
  NameTaken = 'name_taken',
  /** Another request updated the datasource in between (optimistic version check). */
  ConcurrentUpdate = 'concurrent_update',
  /** The vault cannot decrypt the data key or a secret: credentials must be entered again. */
  NeedsReentry = 'needs_reentry',
  ConnectionRefused = 'connection_refused',
  AuthenticationFailed = 'authentication_failed',
  EgressDenied = 'egress_denied',
  CertificateError = 'certificate_error',
  ConnectTimeout = 'connect_timeout',
  HostNotFound = 'host_not_found',
  /** The target answered but refused the request (unknown database, redirect off base URL). */
  TargetRejected = 'target_rejected',
}

/** HTTP status of each datasource error code; exhaustive so a new code cannot be forgotten. */
export function httpStatusForDatasourceError(code: DatasourceErrorCode): number {
  switch (code) {
    case DatasourceErrorCode.InvalidConfig:
    case DatasourceErrorCode.SecretsRequired:
    case DatasourceErrorCode.UnknownType:
      return 400;
    case DatasourceErrorCode.NotFound:
      return 404;
    case DatasourceErrorCode.NameTaken:
    case DatasourceErrorCode.ConcurrentUpdate:
      return 409;
    case DatasourceErrorCode.NeedsReentry:
    case DatasourceErrorCode.ConnectionRefused:
    case DatasourceErrorCode.AuthenticationFailed:
    case DatasourceErrorCode.EgressDenied:
    case DatasourceErrorCode.CertificateError:
    case DatasourceErrorCode.ConnectTimeout:
    case DatasourceErrorCode.HostNotFound:
    case DatasourceErrorCode.TargetRejected:
      return 422;
  }
}

/** A datasource error. Messages are shown to users: never a secret, URL userinfo or an IP. */
export class DatasourceException extends AppException {
  readonly status: number;
  constructor(
    readonly code: DatasourceErrorCode,
    message: string,
  ) {
    super(message);
    this.status = httpStatusForDatasourceError(code);
  }
}

export const datasourceNotFound = () =>
  new DatasourceException(DatasourceErrorCode.NotFound, 'Datasource not found');

/** 400 naming the field, e.g. `config.port: must be an integer`. */
export const invalidField = (field: string, message: string) =>
  new DatasourceException(DatasourceErrorCode.InvalidConfig, `${field}: ${message}`);
