import {
  Body,
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
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
  TRunQueryResponse,
  TSavedQuery,
  ZCreateQueryRequest,
  ZRunQueryRequest,
  ZUpdateQueryRequest,
} from '@bastion/contracts';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import {
  AuthUser,
  CurrentMembership,
  CurrentUser,
  MembershipContext,
  ReqMeta,
  RequestMeta,
} from '../auth/request-context';
import { WorkspaceRole } from '../workspaces/workspace-role.guard';
import { auditContextOf } from '../audit/audit.service';
import { AppService } from './app.service';

class CreateQueryDto extends createZodDto(ZCreateQueryRequest) {}
class UpdateQueryDto extends createZodDto(ZUpdateQueryRequest) {}
class RunQueryDto extends createZodDto(ZRunQueryRequest) {}
class RunQueryOptionsDto extends createZodDto(
  z.object({ draft: z.enum(['true', 'false']).optional() }),
) {}

const Uuid = (name: string) => Param(name, new ParseUUIDPipe({ errorHttpStatusCode: 404 }));

@ApiTags('queries')
@Controller('workspaces/:wid/apps/:appId/queries')
export class AppQueryController {
  constructor(private readonly apps: AppService) {}

  /** `POST .../apps/:appId/queries` (editors) {name,datasourceId,body,params?,timeoutMs?,maxRows?}. 201. */
  @Post()
  @WorkspaceRole('editor')
  @UseInterceptors(VersionEtagInterceptor)
  create(
    @CurrentMembership() m: MembershipContext,
    @CurrentUser() user: AuthUser,
    @ReqMeta() meta: RequestMeta,
    @Uuid('appId') appId: string,
    @Body() body: CreateQueryDto,
  ): Promise<TSavedQuery> {
    return this.apps.createQuery(m.workspaceId, appId, body, auditContextOf(user, meta));
  }

  /** `GET .../apps/:appId/queries/:queryId` (editors) -> the draft query with `version` and ETag. */
  @Get(':queryId')
  @WorkspaceRole('editor')
  @UseInterceptors(VersionEtagInterceptor)
  get(
    @CurrentMembership() m: MembershipContext,
    @Uuid('appId') appId: string,
    @Uuid('queryId') queryId: string,
  ): Promise<TSavedQuery> {
    return this.apps.getQuery(m.workspaceId, appId, queryId);
  }

  /**
   * `PATCH .../apps/:appId/queries/:queryId` (editors) with `If-Match: "<version>"`: edits the
   * draft query -> the query with its new version (and ETag). 428 without If-Match; 409
   * `{currentVersion}` when stale.
   */
  @Patch(':queryId')
  @ApiHeader(IF_MATCH_REQUIRED)
  @WorkspaceRole('editor')
  @UseInterceptors(VersionEtagInterceptor)
  update(
    @CurrentMembership() m: MembershipContext,
    @CurrentUser() user: AuthUser,
    @ReqMeta() meta: RequestMeta,
    @Uuid('appId') appId: string,
    @Uuid('queryId') queryId: string,
    @Body() body: UpdateQueryDto,
    @IfMatchVersion() version: number | undefined,
  ): Promise<TSavedQuery> {
    return this.apps.updateQuery(
      m.workspaceId,
      appId,
      queryId,
      body,
      version,
      auditContextOf(user, meta),
    );
  }

  /** `DELETE .../apps/:appId/queries/:queryId` (editors). 204. Optional `If-Match` (409 when stale). */
  @Delete(':queryId')
  @ApiHeader(IF_MATCH_OPTIONAL)
  @HttpCode(204)
  @WorkspaceRole('editor')
  remove(
    @CurrentMembership() m: MembershipContext,
    @CurrentUser() user: AuthUser,
    @ReqMeta() meta: RequestMeta,
    @Uuid('appId') appId: string,
    @Uuid('queryId') queryId: string,
    @IfMatchVersion() version: number | undefined,
  ): Promise<void> {
    return this.apps.deleteQuery(
      m.workspaceId,
      appId,
      queryId,
      version,
      auditContextOf(user, meta),
    );
  }

  /**
   * `POST .../apps/:appId/queries/:queryId/run` (members) {params} -> `{columns, rows, rowCount,
   * truncated, durationMs}` with `Cache-Control: no-store`. Runs the published copy; with
   * `?draft=true` the draft (editors only, else 403). Any body field other than `params` is 400.
   */
  @Post(':queryId/run')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @WorkspaceRole('viewer')
  run(
    @CurrentMembership() m: MembershipContext,
    @CurrentUser() user: AuthUser,
    @ReqMeta() meta: RequestMeta,
    @Uuid('appId') appId: string,
    @Uuid('queryId') queryId: string,
    @Query() options: RunQueryOptionsDto,
    @Body() body: RunQueryDto,
  ): Promise<TRunQueryResponse> {
    return this.apps.runQuery(
      m.workspaceId,
      appId,
      queryId,
      body.params,
      options.draft === 'true',
      m.role,
      auditContextOf(user, meta),
    );
  }
}
