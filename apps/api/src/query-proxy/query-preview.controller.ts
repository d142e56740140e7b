import { Body, Controller, Header, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { TRunQueryResponse, ZPreviewQueryRequest } from '@bastion/contracts';
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
import { QueryRunnerService } from './query-runner.service';

class PreviewQueryDto extends createZodDto(ZPreviewQueryRequest) {}

@ApiTags('queries')
@Controller('workspaces/:wid/datasources')
export class QueryPreviewController {
  constructor(private readonly runner: QueryRunnerService) {}

  /**
   * `POST /api/workspaces/:wid/datasources/:id/preview` (editors) {query, params, paramSpecs?,
   * timeoutMs?, maxRows?}: runs an ad-hoc query with bound parameters and returns
   * `{columns, rows, rowCount, truncated, durationMs}` with `Cache-Control: no-store`.
   * Viewers get 403; another workspace's datasource 404. Errors as in QueryRunnerService.run.
   */
  @Post(':id/preview')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @WorkspaceRole('editor')
  preview(
    @CurrentMembership() m: MembershipContext,
    @CurrentUser() user: AuthUser,
    @ReqMeta() meta: RequestMeta,
    @Param('id', new ParseUUIDPipe({ errorHttpStatusCode: 404 })) datasourceId: string,
    @Body() body: PreviewQueryDto,
  ): Promise<TRunQueryResponse> {
    return this.runner.run({
      workspaceId: m.workspaceId,
      datasourceId,
      body: body.query,
      paramSpecs: body.paramSpecs,
      paramValues: body.params,
      timeoutMs: body.timeoutMs,
      maxRows: body.maxRows,
      audit: {
        context: { actor: { userId: user.id, email: user.email }, meta },
        queryId: null,
        appId: null,
        draft: true,
      },
    });
  }
}
