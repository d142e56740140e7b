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
