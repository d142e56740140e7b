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
  Query,
  UseInterceptors,
} from '@nestjs/common';
import { ApiHeader, ApiTags } from '@nestjs/swagger';
import {
  TApp,
  TAppRevision,
  TAppSummary,
  TPublishedApp,
  ZCreateAppRequest,
  ZListRevisionsQuery,
  ZUpdateAppRequest,
} from '@bastion/contracts';
import {
  IF_MATCH_OPTIONAL,
  IF_MATCH_REQUIRED,
  IfMatchVersion,
  VersionEtagInterceptor,
} from '../common/http/optimistic-concurrency';
import { auditContextOf } from '../audit/audit.service';
import { createZodDto } from 'nestjs-zod';
import {
  AuthUser,
  CurrentMembership,
  CurrentUser,
  MembershipContext,
  ReqMeta,
  RequestMeta,
} from '../auth/request-context';
import { WorkspaceRole } from '../workspaces/workspace-role.guard';
import { AppService } from './app.service';

class CreateAppDto extends createZodDto(ZCreateAppRequest) {}
class UpdateAppDto extends createZodDto(ZUpdateAppRequest) {}
class ListRevisionsDto extends createZodDto(ZListRevisionsQuery) {}

const AppId = () => Param('appId', new ParseUUIDPipe({ errorHttpStatusCode: 404 }));

@ApiTags('apps')
@Controller('workspaces/:wid/apps')
export class AppController {
  constructor(private readonly apps: AppService) {}

  /** `GET /api/workspaces/:wid/apps` (members) -> [{id,name,publishedAt,updatedAt}]; viewers see published apps only. */
  @Get()
  @WorkspaceRole('viewer')
  list(@CurrentMembership() m: MembershipContext): Promise<TAppSummary[]> {
    return this.apps.listApps(m.workspaceId, m.role);
  }

  /** `POST /api/workspaces/:wid/apps` (editors) {name, definition?} -> the app (version 1, ETag). 201. */
  @Post()
  @WorkspaceRole('editor')
  @UseInterceptors(VersionEtagInterceptor)
  create(
    @CurrentMembership() m: MembershipContext,
    @CurrentUser() user: AuthUser,
    @ReqMeta() meta: RequestMeta,
    @Body() body: CreateAppDto,
  ): Promise<TApp> {
    return this.apps.createApp(m.workspaceId, body, auditContextOf(user, meta));
  }

  /**
   * `GET /api/workspaces/:wid/apps/:appId` (editors) -> draft definition and draft queries,
   * `version` (also as `ETag: "<version>"`) and `unpublishedChanges`.
   */
  @Get(':appId')
  @WorkspaceRole('editor')
  @UseInterceptors(VersionEtagInterceptor)
  get(@CurrentMembership() m: MembershipContext, @AppId() appId: string): Promise<TApp> {
    return this.apps.getApp(m.workspaceId, appId);
  }

  /**
   * `PATCH /api/workspaces/:wid/apps/:appId` (editors) {name?, definition?} with `If-Match:
   * "<version>"`: edits the draft, keeps a revision -> the app with its new version (and ETag).
   * 428 without If-Match; 409 `{currentVersion}` when stale.
   */
  @Patch(':appId')
  @ApiHeader(IF_MATCH_REQUIRED)
  @WorkspaceRole('editor')
  @UseInterceptors(VersionEtagInterceptor)
  update(
    @CurrentMembership() m: MembershipContext,
    @CurrentUser() user: AuthUser,
    @ReqMeta() meta: RequestMeta,
    @AppId() appId: string,
    @Body() body: UpdateAppDto,
    @IfMatchVersion() version: number | undefined,
  ): Promise<TApp> {
    return this.apps.updateApp(m.workspaceId, appId, body, version, auditContextOf(user, meta));
  }

  /**
   * `GET /api/workspaces/:wid/apps/:appId/revisions?before=&limit=` (editors): revisions newest
   * first `[{id, version, appVersion, authorId, authorEmail, createdAt, published, restoredFrom,
   * summary}]`; `before` a revision number (the next page), `limit` 1..100 (50).
   */
  @Get(':appId/revisions')
  @WorkspaceRole('editor')
  revisions(
    @CurrentMembership() m: MembershipContext,
    @AppId() appId: string,
    @Query() query: ListRevisionsDto,
  ): Promise<TAppRevision[]> {
    return this.apps.listRevisions(m.workspaceId, appId, query.before, query.limit);
  }

  /**
   * `POST /api/workspaces/:wid/apps/:appId/revisions/:revisionId/restore` (editors): the
   * revision's definition and queries become the draft, as a new revision and app version ->
   * the app. Optional `If-Match` (409 when stale). 404 for another workspace's revision.
   */
  @Post(':appId/revisions/:revisionId/restore')
  @ApiHeader(IF_MATCH_OPTIONAL)
  @HttpCode(200)
  @WorkspaceRole('editor')
  @UseInterceptors(VersionEtagInterceptor)
  restore(
    @CurrentMembership() m: MembershipContext,
    @CurrentUser() user: AuthUser,
    @ReqMeta() meta: RequestMeta,
    @AppId() appId: string,
    @Param('revisionId', new ParseUUIDPipe({ errorHttpStatusCode: 404 })) revisionId: string,
    @IfMatchVersion() version: number | undefined,
  ): Promise<TApp> {
    return this.apps.restoreRevision(
      m.workspaceId,
      appId,
      revisionId,
      version,
      auditContextOf(user, meta),
    );
  }

  /**
   * `DELETE /api/workspaces/:wid/apps/:appId` (editors): the app, its queries, its published
   * copy. 204. Optional `If-Match` (409 when stale).
   */
  @Delete(':appId')
  @ApiHeader(IF_MATCH_OPTIONAL)
  @HttpCode(204)
  @WorkspaceRole('editor')
  remove(
    @CurrentMembership() m: MembershipContext,
    @CurrentUser() user: AuthUser,
    @ReqMeta() meta: RequestMeta,
    @AppId() appId: string,
    @IfMatchVersion() version: number | undefined,
  ): Promise<void> {
    return this.apps.deleteApp(m.workspaceId, appId, version, auditContextOf(user, meta));
  }

  /**
   * `POST /api/workspaces/:wid/apps/:appId/publish` (editors): freezes definition and queries
   * and marks the revision published. 200. Optional `If-Match` (409 when stale).
   */
  @Post(':appId/publish')
  @ApiHeader(IF_MATCH_OPTIONAL)
  @HttpCode(200)
  @WorkspaceRole('editor')
  publish(
    @CurrentMembership() m: MembershipContext,
    @CurrentUser() user: AuthUser,
    @ReqMeta() meta: RequestMeta,
    @AppId() appId: string,
    @IfMatchVersion() version: number | undefined,
  ): Promise<TPublishedApp> {
    return this.apps.publish(m.workspaceId, appId, version, auditContextOf(user, meta));
  }

  /**
   * `GET /api/workspaces/:wid/apps/:appId/published` (members): the published definition and
   * query ids, names and parameters; no query text, no datasource. 404 when unpublished.
   */
  @Get(':appId/published')
  @WorkspaceRole('viewer')
  published(
    @CurrentMembership() m: MembershipContext,
    @AppId() appId: string,
  ): Promise<TPublishedApp> {
    return this.apps.getPublished(m.workspaceId, appId);
  }
}
