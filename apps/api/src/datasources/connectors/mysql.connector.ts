import type { Knex } from 'knex';
import { connect } from 'node:net';
import type { ResolvedDatasource } from './connector';
import type { ConnectorDeps } from './connector-deps';
import { NetworkSqlConnector } from './network-sql-connector';
import { sqlTlsOptions } from './sql-config';

/**
 * MySQL and MariaDB through knex + mysql2. The configured host name stays in the driver's
 * config (it is the TLS server name mysql2 verifies), while the TCP stream is opened by us to
 * the egress-checked address.
 */
export class MysqlConnector extends NetworkSqlConnector {
  readonly type = 'mysql' as const;
  readonly label = 'MySQL / MariaDB';
  readonly placeholderStyle = 'question' as const;

  constructor(deps: ConnectorDeps) {
    super(deps, 3306);
  }

  protected knexConfig(ds: ResolvedDatasource, poolMax: number): Knex.Config {
    const config = this.sqlConfig(ds);
    const tls = sqlTlsOptions(config, ds.secrets);
    const password = ds.secrets.password;
    const host = config.host.replace(/^\[|\]$/g, '');
    return {
      client: 'mysql2',
      connection: async () => {
        const target = await this.deps.egress.resolve(config.host, config.port);
        const address = target.addresses[0];
        return {
          host,
          port: config.port,
          user: config.user,
          ...(password !== undefined ? { password } : {}),
          database: config.database,
          connectTimeout: this.deps.connectTimeoutMs,
          charset: 'utf8mb4',
          supportBigNumbers: true,
          bigNumberStrings: true,
          // No LOCAL INFILE capability: the server then refuses `LOAD DATA LOCAL INFILE` with an
          // error (MariaDB KB, "LOAD DATA INFILE": LOCAL needs the client's consent) instead of
          // asking this process for a file, which mysql2 3.x answers out of protocol step and
          // leaves the pooled connection desynchronised (mysql2 `flags`, ConnectionConfig).
          flags: ['-LOCAL_FILES'],
          ...(tls
            ? {
                ssl: {
                  ca: tls.ca as string | undefined,
                  cert: tls.cert as string | undefined,
                  key: tls.key as string | undefined,
                  rejectUnauthorized: tls.rejectUnauthorized !== false,
                  verifyIdentity: config.tls === 'verify-full',
                },
              }
            : {}),
          // The socket goes only to the address that was checked.
          stream: () => connect({ host: address, port: config.port }),
          expirationChecker: () => true,
        } as unknown as Knex.MySql2ConnectionConfig;
      },
      pool: this.poolSettings(poolMax),
      log: this.knexLog(),
      acquireConnectionTimeout: this.deps.connectTimeoutMs + 1_000,
    };
  }
}
