import type { Knex } from 'knex';
import type { ResolvedDatasource } from './connector';
import type { ConnectorDeps } from './connector-deps';
import { NetworkSqlConnector } from './network-sql-connector';
import { sqlTlsOptions } from './sql-config';

/**
 * PostgreSQL through knex + pg. Each new connection resolves the host, checks every address
 * against the egress policy and connects to the first checked address; TLS verifies the
 * certificate against the configured host name (`servername` + `checkServerIdentity`).
 */
export class PostgresConnector extends NetworkSqlConnector {
  readonly type = 'postgres' as const;
  readonly label = 'PostgreSQL';
  readonly placeholderStyle = 'dollar' as const;

  constructor(deps: ConnectorDeps) {
    super(deps, 5432);
  }

  protected knexConfig(ds: ResolvedDatasource, poolMax: number): Knex.Config {
    const config = this.sqlConfig(ds);
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
