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
} from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import {
  TApp,
  TAppSummary,
  TPublishedApp,
  ZCreateAppRequest,
  ZUpdateAppRequest,
} from '@bastion/contracts';
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

  /** `POST /api/workspaces/:wid/apps` (editors) {name, definition?} -> the app. 201. */
  @Post()
  @WorkspaceRole('editor')
  create(
    @CurrentMembership() m: MembershipContext,
    @CurrentUser() user: AuthUser,
    @ReqMeta() meta: RequestMeta,
    @Body() body: CreateAppDto,
  ): Promise<TApp> {
    return this.apps.createApp(m.workspaceId, body, auditContextOf(user, meta));
  }

  /** `GET /api/workspaces/:wid/apps/:appId` (editors) -> draft definition and draft queries. */
  @Get(':appId')
  @WorkspaceRole('editor')
  get(@CurrentMembership() m: MembershipContext, @AppId() appId: string): Promise<TApp> {
    return this.apps.getApp(m.workspaceId, appId);
  }

  /** `PATCH /api/workspaces/:wid/apps/:appId` (editors) {name?, definition?}: edits the draft. */
  @Patch(':appId')
  @WorkspaceRole('editor')
  update(
    @CurrentMembership() m: MembershipContext,
    @CurrentUser() user: AuthUser,
    @ReqMeta() meta: RequestMeta,
    @AppId() appId: string,
    @Body() body: UpdateAppDto,
  ): Promise<TApp> {
    return this.apps.updateApp(m.workspaceId, appId, body, auditContextOf(user, meta));
  }

  /** `DELETE /api/workspaces/:wid/apps/:appId` (editors): the app, its queries, its published copy. 204. */
  @Delete(':appId')
  @HttpCode(204)
  @WorkspaceRole('editor')
  remove(
    @CurrentMembership() m: MembershipContext,
    @CurrentUser() user: AuthUser,
    @ReqMeta() meta: RequestMeta,
    @AppId() appId: string,
  ): Promise<void> {
    return this.apps.deleteApp(m.workspaceId, appId, auditContextOf(user, meta));
  }

  /** `POST /api/workspaces/:wid/apps/:appId/publish` (editors): freezes definition and queries. 200. */
  @Post(':appId/publish')
  @HttpCode(200)
  @WorkspaceRole('editor')
  publish(
    @CurrentMembership() m: MembershipContext,
    @CurrentUser() user: AuthUser,
    @ReqMeta() meta: RequestMeta,
    @AppId() appId: string,
  ): Promise<TPublishedApp> {
    return this.apps.publish(m.workspaceId, appId, auditContextOf(user, meta));
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
