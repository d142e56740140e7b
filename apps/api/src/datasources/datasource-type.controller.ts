import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { TDatasourceTypeCatalog, TEgressInfo } from '@bastion/contracts';
import { ConnectorRegistry } from './connectors/connector-registry';
import { EgressService } from './egress.service';

/** The type catalog and egress facts; any signed-in user (the session guard is global). */
@ApiTags('datasources')
@Controller()
export class DatasourceTypeController {
  constructor(
    private readonly registry: ConnectorRegistry,
    private readonly egress: EgressService,
  ) {}

  /** `GET /api/datasource-types` -> `[{type,label,configFields,secretFields,targetFields}]`. */
  @Get('datasource-types')
  catalog(): TDatasourceTypeCatalog {
    return this.registry.catalog();
  }

  /** `GET /api/egress` -> `{publicIps}`: addresses to allow in a database firewall. */
  @Get('egress')
  egressInfo(): TEgressInfo {
    return { publicIps: this.egress.publicIps };
  }
}
