import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { join } from 'node:path';
import { APP_CONFIG, type AppConfig } from '../../config/app-config';
import { SQLITE_FILE_NAME } from '../../database/data-source-options';
import { DatasourceErrorCode, DatasourceException } from '../datasource.exception';
import { EgressService } from '../egress.service';
import type { DatasourceType, FieldSpec } from './connector';
import type { ConnectorDeps } from './connector-deps';
import type { ManagedConnector } from './connector-extras';
import { MysqlConnector } from './mysql.connector';
import { PostgresConnector } from './postgres.connector';
import { RestConnector } from './rest.connector';
import { SqliteConnector } from './sqlite.connector';

/** One entry of the type catalog (`GET /api/datasource-types`). */
export interface DatasourceTypeInfo {
  type: DatasourceType;
  label: string;
  configFields: FieldSpec[];
  secretFields: FieldSpec[];
  targetFields: string[];
}

/**
 * Every connector type, built once with the server's egress policy and pool limits. The query
 * proxy gets connectors from here (`get(type)`); pools are closed on shutdown.
 */
@Injectable()
export class ConnectorRegistry implements OnApplicationShutdown {
  private readonly connectors: Map<DatasourceType, ManagedConnector>;

  constructor(@Inject(APP_CONFIG) config: AppConfig, egress: EgressService) {
    const metadataFile = join(config.dataDir, SQLITE_FILE_NAME);
    const deps: ConnectorDeps = {
      egress,
      poolMax: config.datasources.poolMax,
      poolIdleMs: config.datasources.poolIdleMs,
      connectTimeoutMs: config.datasources.connectTimeoutMs,
      sqliteDir: config.datasources.sqliteDir,
      forbiddenFiles: ['', '-wal', '-shm', '-journal'].map((s) => metadataFile + s),
    };
    const list: ManagedConnector[] = [
      new PostgresConnector(deps),
      new MysqlConnector(deps),
      new SqliteConnector(deps),
      new RestConnector(deps),
    ];
    this.connectors = new Map(list.map((c) => [c.type, c]));
  }

  /**
   * The connector of `type`.
   * @throws DatasourceException 400 `unknown_type` for a type no connector handles.
   */
  get(type: string): ManagedConnector {
    const connector = this.connectors.get(type as DatasourceType);
    if (!connector) {
      throw new DatasourceException(
        DatasourceErrorCode.UnknownType,
        `type: must be one of ${[...this.connectors.keys()].join(', ')}`,
      );
    }
    return connector;
  }

  /** The type catalog, in a stable order. */
  catalog(): DatasourceTypeInfo[] {
    return [...this.connectors.values()].map((c) => ({
      type: c.type,
      label: c.label,
      configFields: c.configFields,
      secretFields: c.secretFields,
      targetFields: c.targetFields,
    }));
  }

  /** Closes every pool of a datasource, all types (after an update or delete). */
  async closePools(datasourceId: string): Promise<void> {
    await Promise.all([...this.connectors.values()].map((c) => c.closePools(datasourceId)));
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.connectors.values()].map((c) => c.closeAll()));
  }
}
