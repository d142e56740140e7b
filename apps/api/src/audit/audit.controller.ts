import { Controller, Get, Header, Query, Res, StreamableFile } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { TAuditEventPage, TAuditVerifyResult, ZListAuditEventsQuery } from '@bastion/contracts';
import type { FastifyReply } from 'fastify';
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
import { AuditQueryService } from './audit-query.service';
import { AuditVerifyService } from './audit-verify.service';

class ListAuditEventsDto extends createZodDto(ZListAuditEventsQuery) {}

@ApiTags('audit')
@Controller('workspaces/:wid/audit-events')
export class AuditController {
  constructor(
    private readonly query: AuditQueryService,
    private readonly verifier: AuditVerifyService,
  ) {}

  /**
   * `GET /api/workspaces/:wid/audit-events` (admin): this workspace's entries, newest first,
   * filtered by `actor`, `action`, `targetType`, `targetId`, `from`, `to`; `cursor` + `limit`
   * (1-500, default 50) page. `format=csv|jsonl` downloads every match as a file
   * (content-disposition attachment). 403 below admin, 404 for another workspace.
   */
  @Get()
  @WorkspaceRole('admin')
  @Header('cache-control', 'no-store')
  async list(
    @CurrentMembership() m: MembershipContext,
    @CurrentUser() user: AuthUser,
    @ReqMeta() meta: RequestMeta,
    @Query() q: ListAuditEventsDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<TAuditEventPage | StreamableFile> {
    if (q.format === 'json') return this.query.list(m.workspaceId, q);
    const file = await this.query.export(
      m.workspaceId,
      { ...q, format: q.format },
      { userId: user.id, email: user.email },
      meta,
    );
    void reply.header('x-content-type-options', 'nosniff');
    return new StreamableFile(file.stream, {
      type: file.contentType,
      disposition: `attachment; filename="${file.filename}"`,
    });
  }

  /**
   * `GET /api/workspaces/:wid/audit-events/verify` (admin): verifies the instance's whole
   * chain (one chain covers every workspace) -> {ok, checkedEntries, head, checkpoint,
   * firstBroken: {sequence, reason, message} | null}. Reveals no other workspace's entries.
   */
  @Get('verify')
  @WorkspaceRole('admin')
  @Header('cache-control', 'no-store')
  verify(): Promise<TAuditVerifyResult> {
    return this.verifier.verify();
  }
}
