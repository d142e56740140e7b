import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { WorkspacesModule } from '../workspaces/workspaces.module';
import { ConnectorRegistry } from './connectors/connector-registry';
import { DatasourceSecretEntity } from './datasource-secret.entity';
import { datasourceSecretSourceProvider } from './datasource-secret-source';
import { DatasourceTypeController } from './datasource-type.controller';
import { DatasourceController } from './datasource.controller';
import { DatasourceEntity } from './datasource.entity';
import { DatasourceRepository } from './datasource.repository';
import { DatasourceService } from './datasource.service';
import { EgressService } from './egress.service';
import { SqliteFolderMigrationService } from './sqlite-folder-migration';

/**
 * Datasources (README.md in this folder): CRUD, the connector registry, the egress policy.
 * Exports `DatasourceService.resolveForRun` and the `ConnectorRegistry` for the query proxy.
 */
@Module({
  imports: [WorkspacesModule, TypeOrmModule.forFeature([DatasourceEntity, DatasourceSecretEntity])],
  controllers: [DatasourceTypeController, DatasourceController],
  providers: [
    DatasourceRepository,
    DatasourceService,
    EgressService,
    ConnectorRegistry,
    datasourceSecretSourceProvider,
    SqliteFolderMigrationService,
  ],
  exports: [DatasourceService, ConnectorRegistry, EgressService],
})
export class DatasourcesModule {}
