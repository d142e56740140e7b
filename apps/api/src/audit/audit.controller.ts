import {
  BadRequestException,
  Controller,
  Get,
  Header,
  Query,
  Res,
  StreamableFile,
} from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import {
  TAuditEventPage,
  TWorkspaceAuditVerifyResult,
  ZListAuditEventsQuery,
  ZListMyAuditEventsQuery,
} from '@bastion/contracts';
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
import { InstanceSettingsService } from '../workspaces/instance-settings.service';
import { WorkspaceRole } from '../workspaces/workspace-role.guard';
import { AuditQueryService } from './audit-query.service';
import { AuditVerifyService } from './audit-verify.service';

class ListAuditEventsDto extends createZodDto(ZListAuditEventsQuery) {}
class ListMyAuditEventsDto extends createZodDto(ZListMyAuditEventsQuery) {}

@ApiTags('audit')
@Controller('workspaces/:wid/audit-events')
export class AuditController {
  constructor(
    private readonly query: AuditQueryService,
    private readonly verifier: AuditVerifyService,
  ) {}

  /**
   * `GET /api/workspaces/:wid/audit-events` (admin): this workspace's entries (those with its
   * workspace id; never instance-level entries such as members' sign-ins), newest first,
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
   * `GET /api/workspaces/:wid/audit-events/verify` (admin): verifies the chain and reports on
   * this workspace's entries only -> {ok, checkedEntries (the workspace's), newest:
   * {sequence, hash} | null, pruned: {occurredAt, prunedAt} | null, firstBroken: {sequence,
   * reason, message} | null}. No instance totals or head hash (`pnpm cli audit verify` has
   * those); never another workspace's entries.
   */
  @Get('verify')
  @WorkspaceRole('admin')
  @Header('cache-control', 'no-store')
  verify(@CurrentMembership() m: MembershipContext): Promise<TWorkspaceAuditVerifyResult> {
    return this.verifier.verifyWorkspace(m.workspaceId);
  }
}

@ApiTags('audit')
@Controller('instance/audit-events')
export class InstanceAuditController {
  constructor(
    private readonly query: AuditQueryService,
    private readonly instance: InstanceSettingsService,
  ) {}

  /**
   * `GET /api/instance/audit-events` (instance admins): instance-level entries (no workspace:
   * everyone's sign-ins and failed sign-ins, unknown emails included, account changes,
   * instance settings, operator commands), newest first, with the filters and paging of the
   * workspace list; JSON only (`format=csv|jsonl` is a 400). 403 for anyone else. Workspace
   * entries stay with each workspace's admins.
   */
  @Get()
  @Header('cache-control', 'no-store')
  async list(
    @CurrentUser() user: AuthUser,
    @Query() q: ListAuditEventsDto,
  ): Promise<TAuditEventPage> {
    await this.instance.assertInstanceAdmin(user.id);
    if (q.format !== 'json') {
      throw new BadRequestException(
        'format: instance-level entries are listed as JSON only; `pnpm cli audit verify` checks them',
      );
    }
    return this.query.listInstance(q);
  }
}

@ApiTags('audit')
@Controller('me/audit-events')
export class MyAuditController {
  constructor(private readonly query: AuditQueryService) {}

  /**
   * `GET /api/me/audit-events?cursor&limit` (any signed-in user; limit 1-100, default 20) ->
   * {items, nextCursor}: the caller's own instance-level entries, newest first: sign-ins,
   * failed sign-ins for their account (address, user agent, reason), sign-outs, two-factor and
   * password changes. Never another person's entries; workspace entries are in the workspace
   * log.
   */
  @Get()
  @Header('cache-control', 'no-store')
  list(@CurrentUser() user: AuthUser, @Query() q: ListMyAuditEventsDto): Promise<TAuditEventPage> {
    return this.query.listForUser(user.id, q);
  }
}
