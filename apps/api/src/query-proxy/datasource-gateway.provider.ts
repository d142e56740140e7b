import { Injectable } from '@nestjs/common';
import type {
  Connector,
  DatasourceType,
  ResolvedDatasource,
} from '../datasources/connectors/connector';
import { ConnectorRegistry } from '../datasources/connectors/connector-registry';
import { DatasourceService } from '../datasources/datasource.service';
import { DatasourceGateway } from './datasource-gateway';

/** {@link DatasourceGateway} over the datasources module's service and connector registry. */
@Injectable()
export class DatasourceModuleGateway extends DatasourceGateway {
  constructor(
    private readonly service: DatasourceService,
    private readonly registry: ConnectorRegistry,
  ) {
    super();
  }

  async typeOf(workspaceId: string, datasourceId: string): Promise<DatasourceType> {
    // `typeOf`, not `get`: the full read decrypts every secret to compute needsReentry.
    return this.service.typeOf(workspaceId, datasourceId);
  }

  resolveForRun(workspaceId: string, datasourceId: string): Promise<ResolvedDatasource> {
    return this.service.resolveForRun(workspaceId, datasourceId);
  }

  describeForRun(
    workspaceId: string,
    datasourceId: string,
  ): Promise<Omit<ResolvedDatasource, 'secrets'>> {
    return this.service.describeForRun(workspaceId, datasourceId);
  }

  connector(type: DatasourceType): Connector {
    return this.registry.get(type);
  }
}
