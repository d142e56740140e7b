import { Module } from '@nestjs/common';
import { DatasourcesModule } from '../datasources/datasources.module';
import { WorkspacesModule } from '../workspaces/workspaces.module';
import { DatasourceGateway } from './datasource-gateway';
import { DatasourceModuleGateway } from './datasource-gateway.provider';
import { QueryPreviewController } from './query-preview.controller';
import { QueryRunnerService } from './query-runner.service';

/**
 * The query proxy (README.md in this folder): runs saved and ad-hoc queries with bound
 * parameters, limits and lossless encoding; keeps no result. Exports the runner for apps.
 */
@Module({
  imports: [WorkspacesModule, DatasourcesModule],
  controllers: [QueryPreviewController],
  providers: [
    QueryRunnerService,
    { provide: DatasourceGateway, useClass: DatasourceModuleGateway },
  ],
  exports: [QueryRunnerService, DatasourceGateway],
})
export class QueryProxyModule {}
