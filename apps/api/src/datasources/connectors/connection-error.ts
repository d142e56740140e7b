import { DatasourceErrorCode, DatasourceException } from '../datasource.exception';
import { EgressDeniedError } from '../egress-policy';

/** OpenSSL / Node TLS verification codes (node `tls` docs, "X509 certificate error codes"). */
const CERT_CODES = new Set([
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

/** PostgreSQL SQLSTATEs (Appendix A) and MySQL error names that mean "bad credentials". */
const AUTH_CODES = new Set([
  '28P01',
  '28000',
  'ER_ACCESS_DENIED_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
  'ER_ACCESS_DENIED_NO_PASSWORD_ERROR',
]);
const UNKNOWN_DB_CODES = new Set(['3D000', 'ER_BAD_DB_ERROR']);

function codeOf(error: unknown): string {
  if (typeof error !== 'object' || error === null) return '';
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : '';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : '';
}

/**
 * Turns a driver or network error into a {@link DatasourceException} with a clear message that
 * holds no secret, connection string or resolved address: driver messages are never passed
 * through, only classified by their code.
 */
export function toConnectionException(error: unknown): DatasourceException {
  if (error instanceof DatasourceException) return error;
  const cause = error instanceof Error ? (error as { cause?: unknown }).cause : undefined;
  if (cause instanceof EgressDeniedError || cause instanceof DatasourceException) {
    return toConnectionException(cause);
  }
  if (error instanceof EgressDeniedError) {
    return new DatasourceException(
      DatasourceErrorCode.EgressDenied,
      `The server's egress policy refused the connection: ${error.message}`,
    );
  }
  const code = codeOf(error);
  const message = messageOf(error);
  if (AUTH_CODES.has(code)) {
    return new DatasourceException(
      DatasourceErrorCode.AuthenticationFailed,
      'The database refused the credentials (wrong user name or password)',
    );
  }
  if (UNKNOWN_DB_CODES.has(code)) {
    return new DatasourceException(
      DatasourceErrorCode.TargetRejected,
      'The database does not exist on this server',
    );
  }
  if (CERT_CODES.has(code) || /certificate|self.signed|altname/i.test(message)) {
    return new DatasourceException(
      DatasourceErrorCode.CertificateError,
      "The server's TLS certificate could not be verified (unknown CA, or the host name is not in the certificate)",
    );
  }
  if (/does not support (SSL|secure)/i.test(message) || code === 'HANDSHAKE_NO_SSL_SUPPORT') {
    return new DatasourceException(
      DatasourceErrorCode.CertificateError,
      'The server does not accept TLS connections; choose another TLS mode',
    );
  }
  if (/no pg_hba\.conf entry|SSL off|requires SSL|secure transport required/i.test(message)) {
    return new DatasourceException(
      DatasourceErrorCode.CertificateError,
      'The server requires TLS for this user; choose a TLS mode',
    );
  }
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EHOSTUNREACH') {
    return new DatasourceException(
      DatasourceErrorCode.ConnectionRefused,
      'The server refused the connection (check host, port and firewall)',
    );
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') {
    return new DatasourceException(DatasourceErrorCode.HostNotFound, 'The host name was not found');
  }
  if (
    code === 'ETIMEDOUT' ||
    code === 'UND_ERR_CONNECT_TIMEOUT' ||
    code === 'UND_ERR_HEADERS_TIMEOUT' ||
    /timeout|timed out/i.test(message) ||
    (error instanceof Error && error.name === 'KnexTimeoutError')
  ) {
    return new DatasourceException(
      DatasourceErrorCode.ConnectTimeout,
      'Timed out connecting to the server',
    );
  }
  if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_NOTADB') {
    return new DatasourceException(
      DatasourceErrorCode.TargetRejected,
      'The SQLite file cannot be opened as a database',
    );
  }
  return new DatasourceException(
    DatasourceErrorCode.ConnectionRefused,
    `The connection failed${code && /^[A-Z0-9_]{2,40}$/.test(code) ? ` (${code})` : ''}`,
  );
}

/**
 * The connection problems a user fixes in the datasource's settings (refused credentials, a
 * certificate that cannot be verified, a TLS mode the server does not accept or requires), as
 * the same exception "Test connection" reports; `undefined` for any other error. The query
 * proxy uses it so a run or preview says what the test button says (issue 20), not a 500.
 */
export function settingsProblemOf(error: unknown): DatasourceException | undefined {
  if (error instanceof EgressDeniedError) return undefined;
  const cause = error instanceof Error ? (error as { cause?: unknown }).cause : undefined;
  if (cause !== undefined && cause !== error && !(cause instanceof EgressDeniedError)) {
    const inner = settingsProblemOf(cause);
    if (inner) return inner;
  }
  const code = codeOf(error);
  // A statement's own error (SQLSTATE, MariaDB or SQLite code) can name a table "certificate":
  // its message is not read here, only its code.
  const fromDatabase =
    /^[0-9A-Z]{5}$/.test(code) ||
    /^(ER_|SQLITE_)/.test(code) ||
    // MariaDB errors carry a positive errno; Node's system errors a negative one.
    Number((error as { errno?: unknown } | null)?.errno) > 0;
  const message = fromDatabase ? '' : messageOf(error);
  const settings =
    AUTH_CODES.has(code) ||
    CERT_CODES.has(code) ||
    /certificate|self.signed|altname/i.test(message) ||
    /does not support (SSL|secure)/i.test(message) ||
    code === 'HANDSHAKE_NO_SSL_SUPPORT' ||
    /no pg_hba\.conf entry|SSL off|requires SSL|secure transport required/i.test(message);
  return settings ? toConnectionException(error) : undefined;
}
