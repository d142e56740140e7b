import type {
  Connector,
  DatasourceType,
  ResolvedDatasource,
} from '../datasources/connectors/connector';

/**
 * What the query proxy and the apps module need from the datasources module, as one seam:
 * look up a datasource's type (to check a saved query), resolve it with decrypted secrets for
 * one run, and find its connector. Implemented over `DatasourceService` and
 * `ConnectorRegistry` in datasource-gateway.provider.ts.
 */
export abstract class DatasourceGateway {
  /**
   * The type of a datasource of this workspace.
   * @throws a 404 exception for an unknown id or another workspace's datasource.
   */
  abstract typeOf(workspaceId: string, datasourceId: string): Promise<DatasourceType>;
  /**
   * The datasource with decrypted secrets, for one run; never log or return it.
   * @throws 404 (not found / other workspace), 422 (credentials need re-entry).
   */
  abstract resolveForRun(workspaceId: string, datasourceId: string): Promise<ResolvedDatasource>;
  /**
   * The datasource without secrets (id, version, type, config), for reusing a live pool.
   * @throws 404 (not found / other workspace).
   */
  abstract describeForRun(
    workspaceId: string,
    datasourceId: string,
  ): Promise<Omit<ResolvedDatasource, 'secrets'>>;
  /** The connector of a datasource type. */
  abstract connector(type: DatasourceType): Connector;
}
