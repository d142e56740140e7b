import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  UseInterceptors,
} from '@nestjs/common';
import {
  IF_MATCH_OPTIONAL,
  IF_MATCH_REQUIRED,
  IfMatchVersion,
  VersionEtagInterceptor,
} from '../common/http/optimistic-concurrency';
import { ApiHeader, ApiTags } from '@nestjs/swagger';
import {
  type TConnectionTestResult,
  type TDatasource,
  ZCreateDatasourceRequest,
  ZTestDatasourceRequest,
  ZTestNewDatasourceRequest,
  ZUpdateDatasourceRequest,
} from '@bastion/contracts';
import { auditContextOf } from '../audit/audit.service';
import { createZodDto } from 'nestjs-zod';
import {
  type AuthUser,
  CurrentMembership,
  CurrentUser,
  type MembershipContext,
  ReqMeta,
  type RequestMeta,
} from '../auth/request-context';
import { WorkspaceRole } from '../workspaces/workspace-role.guard';
import { DatasourceService } from './datasource.service';

class CreateDatasourceDto extends createZodDto(ZCreateDatasourceRequest) {}
class UpdateDatasourceDto extends createZodDto(ZUpdateDatasourceRequest) {}
class TestDatasourceDto extends createZodDto(ZTestDatasourceRequest) {}
class TestNewDatasourceDto extends createZodDto(ZTestNewDatasourceRequest) {}

// Unknown or malformed ids are 404, like another workspace's ids.
const IdPipe = new ParseUUIDPipe({ errorHttpStatusCode: 404 });

/**
 * Datasources of a workspace. Admins create, update and delete; editors list, read and test;
 * viewers get 403 (they run published queries only). Secrets come back as `{isSet}` only.
 */
@ApiTags('datasources')
@Controller('workspaces/:wid/datasources')
export class DatasourceController {
  constructor(private readonly datasources: DatasourceService) {}

  /** `GET` (editor) -> datasources by name, secrets as `{field:{isSet}}`. */
  @Get()
  @WorkspaceRole('editor')
  list(@CurrentMembership() m: MembershipContext): Promise<TDatasource[]> {
    return this.datasources.list(m.workspaceId);
  }

  /** `POST` (admin) {name,type,config,secrets:{field:{value}}} -> the datasource. 201; 400, 409. */
  @Post()
  @WorkspaceRole('admin')
  @UseInterceptors(VersionEtagInterceptor)
  create(
    @CurrentMembership() m: MembershipContext,
    @Body() body: CreateDatasourceDto,
    @CurrentUser() user: AuthUser,
    @ReqMeta() meta: RequestMeta,
  ): Promise<TDatasource> {
    return this.datasources.create(m.workspaceId, body, auditContextOf(user, meta));
  }

  /** `POST /test` (editor) {type,config,secrets} -> {ok,message} for an unsaved datasource. */
  @Post('test')
  @HttpCode(200)
  @WorkspaceRole('editor')
  testNew(
    @CurrentMembership() m: MembershipContext,
    @Body() body: TestNewDatasourceDto,
  ): Promise<TConnectionTestResult> {
    return this.datasources.testNew(m.workspaceId, body);
  }

  /** `GET /:id` (editor) -> the datasource with `version` and `ETag: "<version>"`; 404 for another workspace's. */
  @Get(':id')
  @WorkspaceRole('editor')
  @UseInterceptors(VersionEtagInterceptor)
  get(
    @CurrentMembership() m: MembershipContext,
    @Param('id', IdPipe) id: string,
  ): Promise<TDatasource> {
    return this.datasources.get(m.workspaceId, id);
  }

  /**
   * `PATCH /:id` (admin) {name?,config?,secrets?:{field:{value}|{clear:true}}} with `If-Match:
   * "<version>"` -> the datasource with its new version (and ETag); 400 when a target field
   * changes without the secrets; 409 name taken, or stale `{currentVersion}`; 428 without If-Match.
   */
  @Patch(':id')
  @ApiHeader(IF_MATCH_REQUIRED)
  @WorkspaceRole('admin')
  @UseInterceptors(VersionEtagInterceptor)
  update(
    @CurrentMembership() m: MembershipContext,
    @Param('id', IdPipe) id: string,
    @Body() body: UpdateDatasourceDto,
    @CurrentUser() user: AuthUser,
    @ReqMeta() meta: RequestMeta,
    @IfMatchVersion() version: number | undefined,
  ): Promise<TDatasource> {
    return this.datasources.update(m.workspaceId, id, body, version, auditContextOf(user, meta));
  }

  /** `DELETE /:id` (admin) -> 204. Optional `If-Match` (409 when stale). */
  @Delete(':id')
  @ApiHeader(IF_MATCH_OPTIONAL)
  @HttpCode(204)
  @WorkspaceRole('admin')
  remove(
    @CurrentMembership() m: MembershipContext,
    @Param('id', IdPipe) id: string,
    @CurrentUser() user: AuthUser,
    @ReqMeta() meta: RequestMeta,
    @IfMatchVersion() version: number | undefined,
  ): Promise<void> {
    return this.datasources.delete(m.workspaceId, id, version, auditContextOf(user, meta));
  }

  /** `POST /:id/test` (editor) {config?,secrets?} -> {ok,message}; nothing is saved. */
  @Post(':id/test')
  @HttpCode(200)
  @WorkspaceRole('editor')
  test(
    @CurrentMembership() m: MembershipContext,
    @Param('id', IdPipe) id: string,
    @Body() body: TestDatasourceDto,
  ): Promise<TConnectionTestResult> {
    return this.datasources.test(m.workspaceId, id, body);
  }
}
