import type { Knex } from 'knex';
import type { ResolvedDatasource } from './connector';
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

const schema = sqlConfigSchema(5432);

/**
 * PostgreSQL through knex + pg. Each new connection resolves the host, checks every address
 * against the egress policy and connects to the first checked address; TLS verifies the
 * certificate against the configured host name (`servername` + `checkServerIdentity`).
 */
export class PostgresConnector extends SqlConnectorBase {
  readonly type = 'postgres' as const;
  readonly label = 'PostgreSQL';
  readonly placeholderStyle = 'dollar' as const;
  readonly configFields = sqlConfigFields(5432);
  readonly secretFields = SQL_SECRET_FIELDS;
  readonly targetFields = SQL_TARGET_FIELDS;

  parseConfig(config: unknown): Record<string, unknown> {
    return parseWith(schema, config);
  }

  protected async preflight(ds: ResolvedDatasource): Promise<void> {
    const config = parseWith(schema, ds.config);
    sqlTlsOptions(config, ds.secrets);
    await this.deps.egress.resolve(config.host, config.port);
  }

  protected knexConfig(ds: ResolvedDatasource, poolMax: number): Knex.Config {
    const config: SqlConfig = parseWith(schema, ds.config);
    const ssl = sqlTlsOptions(config, ds.secrets);
    const password = ds.secrets.password;
    return {
      client: 'pg',
      connection: async () => {
        const target = await this.deps.egress.resolve(config.host, config.port);
        return {
          host: target.addresses[0],
          port: config.port,
          user: config.user,
          ...(password !== undefined ? { password } : {}),
          database: config.database,
          ssl,
          connectionTimeoutMillis: this.deps.connectTimeoutMs,
          application_name: 'bastion',
          // Re-run this provider (resolve + check) for every new connection.
          expirationChecker: () => true,
        } as Knex.PgConnectionConfig & { expirationChecker: () => boolean };
      },
      pool: this.poolSettings(poolMax),
      log: this.knexLog(),
      acquireConnectionTimeout: this.deps.connectTimeoutMs + 1_000,
    };
  }
}
