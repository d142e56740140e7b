import { AppException } from '../common/errors/app.exception';
import { redactText } from '../common/logging/redact-text';
import { settingsProblemOf } from '../datasources/connectors/connection-error';
import { QueryErrorCode, QueryException } from './query.exception';

interface DriverError {
  code?: string | number;
  errno?: number;
  message?: string;
  position?: string;
  sqlMessage?: string;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
]);

/** Longest database message looked at (characters); the answer keeps at most 300. */
const MESSAGE_SCAN_LIMIT = 1_000;

/** Strips addresses and anything secret-looking from a database's own message. */
function clean(message: string | undefined): string {
  // Cut first: a statement can raise an error of many megabytes, and the patterns below cost
  // more than linear time on long runs of letters (100k characters blocked the process 10 s).
  const text = redactText((message ?? 'unknown error').slice(0, MESSAGE_SCAN_LIMIT))
    .replace(/\b(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?\b/g, '[address]')
    .replace(/\[[0-9a-f:.]+\](?::\d+)?/gi, '[address]')
    .replace(/\b[0-9a-f]{0,4}::[0-9a-f:.]*/gi, '[address]')
    .replace(/[a-z][a-z0-9+.-]*:\/\/\S+/gi, '[url]');
  return text.length > 300 ? `${text.slice(0, 300)}...` : text;
}

const unreachable = () =>
  new QueryException(
    QueryErrorCode.Unreachable,
    'The datasource could not be reached; check that it is running and that the egress policy allows it',
  );

/**
 * Maps a driver error to a clear {@link QueryException}: syntax error with its position,
 * permission denied, missing object, timeout (504), unreachable or refused credentials (422).
 * Codes: PostgreSQL Appendix A (SQLSTATE), MariaDB error codes, SQLite result codes.
 * Messages never hold a connection string, credential or network address.
 */
export function mapDriverError(error: unknown, timeoutMs: number): AppException {
  if (error instanceof AppException) return error;
  // Refused login, unverifiable certificate, TLS mode mismatch: what "Test connection" says.
  const settings = settingsProblemOf(error);
  if (settings) return new QueryException(QueryErrorCode.Unreachable, settings.message);
  const e = (error ?? {}) as DriverError;
  const code = typeof e.code === 'string' ? e.code : String(e.code ?? '');
  const timeout = () =>
    new QueryException(
      QueryErrorCode.Timeout,
      `The query ran longer than its ${timeoutMs} ms limit and was cancelled`,
    );

  const name = (error as { name?: unknown } | null)?.name;
  if (
    name === 'TimeoutError' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    code === 'UND_ERR_BODY_TIMEOUT'
  ) {
    return timeout();
  }
  if (code.startsWith('UND_ERR_')) return unreachable();
  if (NETWORK_CODES.has(code) || /Knex: Timeout acquiring a connection/.test(e.message ?? '')) {
    return unreachable();
  }
  // PostgreSQL SQLSTATE codes are five characters.
  if (/^[0-9A-Z]{5}$/.test(code)) {
    if (code === '57014') return timeout();
    if (code === '42601') {
      const at = e.position ? ` at position ${e.position}` : '';
      return new QueryException(
        QueryErrorCode.SyntaxError,
        `Syntax error${at}: ${clean(e.message)}`,
      );
    }
    if (code === '42501') {
      return new QueryException(
        QueryErrorCode.PermissionDenied,
        `Permission denied: ${clean(e.message)}`,
      );
    }
    if (code === '42P01' || code === '42703' || code === '42883' || code === '3F000') {
      return new QueryException(QueryErrorCode.ObjectNotFound, clean(e.message));
    }
    if (code === '28P01' || code === '28000') {
      return new QueryException(
        QueryErrorCode.Unreachable,
        'The datasource refused the stored credentials',
      );
    }
    if (code.startsWith('08') || code === '57P01' || code === '57P03' || code === '53300') {
      return unreachable();
    }
    return new QueryException(QueryErrorCode.QueryFailed, `The query failed: ${clean(e.message)}`);
  }
  // MariaDB / MySQL (mysql2 sets `code` to the symbolic name and `errno` to the number).
  if (code.startsWith('ER_') || e.errno !== undefined) {
    const errno = e.errno ?? 0;
    if (errno === 1969 || errno === 3024 || errno === 1317 || errno === 1028) return timeout();
    if (errno === 1064) {
      return new QueryException(
        QueryErrorCode.SyntaxError,
        `Syntax error: ${clean(e.sqlMessage ?? e.message)}`,
      );
    }
    if ([1142, 1143, 1044, 1227, 1370].includes(errno)) {
      return new QueryException(
        QueryErrorCode.PermissionDenied,
        `Permission denied: ${clean(e.sqlMessage ?? e.message)}`,
      );
    }
    if ([1146, 1054, 1049, 1305].includes(errno)) {
      return new QueryException(QueryErrorCode.ObjectNotFound, clean(e.sqlMessage ?? e.message));
    }
    if (errno === 1045) {
      return new QueryException(
        QueryErrorCode.Unreachable,
        'The datasource refused the stored credentials',
      );
    }
    return new QueryException(
      QueryErrorCode.QueryFailed,
      `The query failed: ${clean(e.sqlMessage ?? e.message)}`,
    );
  }
  if (code.startsWith('SQLITE_')) {
    // SQLite names files in some messages ("unable to open database: /srv/..."): no server path.
    const message = (e.message ?? '').replace(/(^|[\s'"(=:])\/[^\s'"()]+/g, '$1[path]');
    if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_NOTADB') return unreachable();
    if (code === 'SQLITE_READONLY' || code === 'SQLITE_AUTH' || code === 'SQLITE_PERM') {
      return new QueryException(
        QueryErrorCode.PermissionDenied,
        `Permission denied: ${clean(message)}`,
      );
    }
    if (/syntax error|incomplete input|unrecognized token/.test(message)) {
      return new QueryException(QueryErrorCode.SyntaxError, `Syntax error: ${clean(message)}`);
    }
    if (/no such (table|column|function)/.test(message)) {
      return new QueryException(QueryErrorCode.ObjectNotFound, clean(message));
    }
    return new QueryException(QueryErrorCode.QueryFailed, `The query failed: ${clean(message)}`);
  }
  // node-postgres reports a dropped socket or a server shutdown mid-run without a code.
  if (/Connection terminated|not queryable|Connection ended unexpectedly/i.test(e.message ?? '')) {
    return unreachable();
  }
  return new QueryException(QueryErrorCode.Internal, 'The query failed unexpectedly');
}
