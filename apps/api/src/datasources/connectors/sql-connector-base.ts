import { Logger } from '@nestjs/common';
import knex, { type Knex } from 'knex';
import type {
  ConnectionTestResult,
  DatasourceType,
  FieldSpec,
  ResolvedDatasource,
  SqlConnector,
} from './connector';
import type { ConnectorDeps } from './connector-deps';
import type { ConnectorExtras } from './connector-extras';
import { toConnectionException } from './connection-error';
import { PoolManager } from './pool-manager';

/**
 * Shared behaviour of the knex-based connectors: pools keyed by id + version (bounded by
 * `poolMax`, closed when idle or replaced), connection tests on a throwaway one-connection
 * instance (so a test with unsaved config never touches a live pool), and error
 * classification without driver messages.
 */
export abstract class SqlConnectorBase implements SqlConnector, ConnectorExtras {
  readonly kind = 'sql' as const;
  abstract readonly type: DatasourceType;
  abstract readonly label: string;
  abstract readonly placeholderStyle: 'dollar' | 'question';
  abstract readonly configFields: FieldSpec[];
  abstract readonly secretFields: FieldSpec[];
  abstract readonly targetFields: string[];
  protected readonly pools: PoolManager<Knex>;

  constructor(protected readonly deps: ConnectorDeps) {
    this.pools = new PoolManager(deps.poolIdleMs, (k) => k.destroy());
  }

  abstract parseConfig(config: unknown): Record<string, unknown>;

  /**
   * knex configuration for `ds` with at most `poolMax` connections. Every new connection
   * re-resolves and re-checks the host (egress) before connecting.
   */
  protected abstract knexConfig(ds: ResolvedDatasource, poolMax: number): Knex.Config;

  /** Throws a classified DatasourceException when `ds` cannot be reached (egress, path). */
  protected abstract preflight(ds: ResolvedDatasource): Promise<void>;

  /**
   * The pool of `ds` (id + version). Checks egress before handing it out; each connection
   * the pool opens later is checked again.
   * @throws DatasourceException (422 egress denied, 400 invalid config).
   */
  async getPool(ds: ResolvedDatasource): Promise<Knex> {
    try {
      await this.preflight(ds);
    } catch (error) {
      throw toConnectionException(error);
    }
    return this.pools.get(ds.id, ds.version, () =>
      Promise.resolve(knex(this.knexConfig(ds, this.deps.poolMax))),
    );
  }

  /** Opens one connection, runs `SELECT 1`, closes it; `{ok:false}` with a clear reason. */
  async testConnection(ds: ResolvedDatasource): Promise<ConnectionTestResult> {
    let instance: Knex | undefined;
    try {
      await this.preflight(ds);
      instance = knex(this.knexConfig(ds, 1));
      await instance.raw('select 1');
      return { ok: true, message: 'Connected successfully' };
    } catch (error) {
      return { ok: false, message: toConnectionException(error).message };
    } finally {
      await instance?.destroy().catch(() => undefined);
    }
  }

  acceptsSecretField(field: string): boolean {
    return this.secretFields.some((f) => f.name === field);
  }

  extractSecrets(config: Record<string, unknown>) {
    return { config, secrets: {} };
  }

  closePools(datasourceId: string): Promise<void> {
    return this.pools.close(datasourceId);
  }

  closeAll(): Promise<void> {
    return this.pools.closeAll();
  }

  /**
   * knex's own warnings go to the server log instead of stdout. knex warns about every
   * function-valued connection on SQLite; that form is deliberate (re-checked per connection).
   */
  protected knexLog(): Knex.Config['log'] {
    const logger = new Logger(`Connector:${this.type}`);
    return {
      warn: (message: string) => {
        if (!/connection\.filename/.test(String(message))) logger.warn(String(message));
      },
      error: (message: string) => logger.error(String(message)),
      deprecate: (method: string, alternative: string) =>
        logger.warn(`${method} is deprecated, use ${alternative}`),
      debug: () => undefined,
    };
  }

  /** Pool settings common to every SQL type (tarn: create errors reach the caller at once). */
  protected poolSettings(poolMax: number): Knex.PoolConfig {
    return { min: 0, max: poolMax, idleTimeoutMillis: 30_000, propagateCreateError: true };
  }
}
