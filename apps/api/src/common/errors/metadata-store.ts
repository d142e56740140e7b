import { AppException } from './app.exception';

/** Seconds a client is asked to wait after a metadata-store outage answer (`Retry-After`). */
export const METADATA_RETRY_AFTER_SECONDS = 5;

/**
 * 503 `metadata_store_unavailable`: Bastion's own database (PostgreSQL or SQLite metadata
 * store) cannot be reached, so the request could not be served; nothing about the user's
 * datasource. Answered with `Retry-After`.
 */
export class MetadataStoreUnavailableException extends AppException {
  readonly status = 503;
  readonly code = 'metadata_store_unavailable';
  override retryAfterSeconds = METADATA_RETRY_AFTER_SECONDS;

  constructor(message = "Bastion's metadata database is unavailable; try again in a few seconds") {
    super(message);
  }
}

/** Connection-level codes: network errors and PostgreSQL classes 08, 57P0x, 53300. */
const OUTAGE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

/** node-postgres and TypeORM messages of a lost or refused connection (they carry no code). */
const OUTAGE_MESSAGES =
  /Connection terminated|not queryable|Connection ended unexpectedly|timeout exceeded when trying to connect|Driver not Connected|the database system is (starting up|shutting down)/i;

/**
 * True when `error` (thrown by a metadata-store query: TypeORM's QueryFailedError, a pg pool
 * error) means the store is down or unreachable, as opposed to a bug or a constraint. Only for
 * errors of the metadata store: the query proxy maps datasource errors itself.
 */
export function isMetadataStoreOutage(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 3) return false;
  const { code, message, driverError, cause } = error as {
    code?: unknown;
    message?: unknown;
    driverError?: unknown;
    cause?: unknown;
  };
  if (typeof code === 'string' && (OUTAGE_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) {
    return true;
  }
  if (typeof message === 'string' && OUTAGE_MESSAGES.test(message)) return true;
  return isMetadataStoreOutage(driverError, depth + 1) || isMetadataStoreOutage(cause, depth + 1);
}
