import type { FieldSpec, ResolvedDatasource } from './connector';
import type { ConnectorDeps } from './connector-deps';
import { SqlConnectorBase } from './sql-connector-base';
import {
  parseWith,
  SQL_SECRET_FIELDS,
  SQL_TARGET_FIELDS,
  sqlConfigFields,
  sqlConfigSchema,
  type SqlConfig,
  sqlTlsOptions,
} from './sql-config';

/**
 * What the networked SQL connectors (PostgreSQL, MySQL/MariaDB) share: the host/port/database/
 * user/TLS config and password secret, their validation, and the preflight that checks TLS
 * material and egress before a pool is handed out.
 */
export abstract class NetworkSqlConnector extends SqlConnectorBase {
  readonly configFields: FieldSpec[];
  readonly secretFields = SQL_SECRET_FIELDS;
  readonly targetFields = SQL_TARGET_FIELDS;
  private readonly schema: ReturnType<typeof sqlConfigSchema>;

  /** @param defaultPort the engine's port, shown in the form and used when none is given. */
  constructor(deps: ConnectorDeps, defaultPort: number) {
    super(deps);
    this.schema = sqlConfigSchema(defaultPort);
    this.configFields = sqlConfigFields(defaultPort);
  }

  parseConfig(config: unknown): Record<string, unknown> {
    return parseWith(this.schema, config);
  }

  /** The validated config of `ds`. */
  protected sqlConfig(ds: ResolvedDatasource): SqlConfig {
    return parseWith(this.schema, ds.config);
  }

  protected async preflight(ds: ResolvedDatasource): Promise<void> {
    const config = this.sqlConfig(ds);
    sqlTlsOptions(config, ds.secrets);
    await this.deps.egress.resolve(config.host, config.port);
  }
}
