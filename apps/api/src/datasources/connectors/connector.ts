import type { Knex } from 'knex';

/**
 * The seam between the datasources module (which owns connectors: config and secret fields,
 * validation, egress-checked connections, TLS, pools) and the query proxy (which owns running
 * queries: bound parameters, streaming, timeouts, caps, lossless encoding).
 *
 * Invariant: a `ResolvedDatasource` holds decrypted secrets; it exists only in server memory
 * for the duration of a test or a run, and is never logged, serialized or returned.
 */

export type DatasourceType = 'postgres' | 'mysql' | 'sqlite' | 'rest';

/** One form field of a connector, as the type catalog (`GET /api/datasource-types`) serves it. */
export interface FieldSpec {
  name: string;
  label: string;
  kind: 'string' | 'number' | 'boolean' | 'select' | 'text' | 'keyValue' | 'password';
  required: boolean;
  help?: string;
  placeholder?: string;
  options?: { value: string; label: string }[];
  defaultValue?: string | number | boolean;
}

/** A datasource with its secrets decrypted, for one test or one run. Never serialize it. */
export interface ResolvedDatasource {
  id: string;
  workspaceId: string;
  /** Incremented on every update; pools are keyed by id + version. */
  version: number;
  type: DatasourceType;
  config: Record<string, unknown>;
  secrets: Record<string, string>;
}

export interface ConnectionTestResult {
  ok: boolean;
  /** Clear and secret-free: no password, connection string or internal address. */
  message: string;
}

/** A column of a result: its name and the database's type name (`int8`, `varchar`, ...). */
export interface ResultColumn {
  name: string;
  type: string;
}

/** Limits of one run. Units: milliseconds, rows, bytes of encoded JSON. */
export interface RunLimits {
  timeoutMs: number;
  maxRows: number;
  maxBytes: number;
}

/** What a run returns; values are already losslessly encoded (see query-proxy). */
export interface RunResult {
  columns: ResultColumn[];
  rows: Record<string, unknown>[];
  rowCount: number;
  truncated: boolean;
}

/** Common to every connector type. */
export interface ConnectorBase {
  readonly type: DatasourceType;
  readonly label: string;
  readonly configFields: FieldSpec[];
  readonly secretFields: FieldSpec[];
  /**
   * Config fields whose change re-points the datasource (host, port, database, base URL, TLS
   * mode): changing one requires every set secret to be given again.
   */
  readonly targetFields: string[];
  /** Validates and normalises config; throws a 400-mapped exception naming the field. */
  parseConfig(config: unknown): Record<string, unknown>;
  /** Connects with the given config and secrets and reports ok or a clear reason. */
  testConnection(ds: ResolvedDatasource): Promise<ConnectionTestResult>;
}

/**
 * SQL connectors (postgres, mysql, sqlite) hand the query proxy a knex instance whose pool is
 * keyed by datasource id + version, bounded in size, connects only to egress-checked addresses
 * with the configured TLS, and is closed on update, delete or idleness.
 */
export interface SqlConnector extends ConnectorBase {
  readonly kind: 'sql';
  /** Placeholder style the driver expects after `{{ name }}` compilation. */
  readonly placeholderStyle: 'dollar' | 'question';
  getPool(ds: ResolvedDatasource): Promise<Knex>;
}

/** A REST request after templating, relative to the datasource's base URL. */
export interface RestRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path below the base URL, already percent-encoded per segment. */
  path: string;
  query: [string, string][];
  headers: Record<string, string>;
  body?: string;
}

export interface RestResponse {
  status: number;
  headers: Record<string, string>;
  /** Body, read up to `maxBytes` (truncated flag set when cut). */
  body: Buffer;
  truncated: boolean;
}

/**
 * The REST connector sends a request with the datasource's secrets applied (bearer token,
 * basic auth, secret headers and query parameters), checks egress on every resolved address
 * and every redirect hop, and keeps the final URL under the base URL.
 */
export interface RestConnector extends ConnectorBase {
  readonly kind: 'rest';
  send(ds: ResolvedDatasource, request: RestRequest, limits: RunLimits): Promise<RestResponse>;
}

export type Connector = SqlConnector | RestConnector;
