import { Body, Controller, Get, Param, ParseUUIDPipe, Patch, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import {
  TMember,
  TWorkspace,
  ZAddMemberRequest,
  ZCreateWorkspaceRequest,
  ZUpdateMemberRequest,
  ZUpdateWorkspaceRequest,
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
import { WorkspaceRole } from './workspace-role.guard';
import { WorkspaceService } from './workspace.service';

class CreateWorkspaceDto extends createZodDto(ZCreateWorkspaceRequest) {}
class AddMemberDto extends createZodDto(ZAddMemberRequest) {}
class UpdateMemberDto extends createZodDto(ZUpdateMemberRequest) {}
class UpdateWorkspaceDto extends createZodDto(ZUpdateWorkspaceRequest) {}

@ApiTags('workspaces')
@Controller('workspaces')
export class WorkspaceController {
  constructor(private readonly workspaces: WorkspaceService) {}

  /** `POST /api/workspaces` {name} -> the workspace; the caller becomes its admin. 201. */
  @Post()
  create(
    @Body() body: CreateWorkspaceDto,
    @CurrentUser() user: AuthUser,
    @ReqMeta() meta: RequestMeta,
  ): Promise<TWorkspace> {
    return this.workspaces.createWorkspace(body.name, user.id, auditContextOf(user, meta));
  }

  /** `GET /api/workspaces/:wid` (any member) -> {id,name,role,requireTwoFactor}. */
  @Get(':wid')
  @WorkspaceRole('viewer')
  get(@CurrentMembership() m: MembershipContext): Promise<TWorkspace> {
    return this.workspaces.getWorkspace(m.workspaceId, m.role);
  }

  /**
   * `PATCH /api/workspaces/:wid` (admin) {name?,requireTwoFactor?} -> the workspace. 409 when
   * an admin without two-factor turns `requireTwoFactor` on (they would lock themselves out).
   */
  @Patch(':wid')
  @WorkspaceRole('admin')
  update(
    @CurrentMembership() m: MembershipContext,
    @CurrentUser() user: AuthUser,
    @Body() body: UpdateWorkspaceDto,
    @ReqMeta() meta: RequestMeta,
  ): Promise<TWorkspace> {
    return this.workspaces.updateWorkspace(m.workspaceId, user, body, meta);
  }

  /** `GET /api/workspaces/:wid/members` (admin) -> members with their roles. */
  @Get(':wid/members')
  @WorkspaceRole('admin')
  listMembers(@CurrentMembership() m: MembershipContext): Promise<TMember[]> {
    return this.workspaces.listMembers(m.workspaceId);
  }

  /** `POST /api/workspaces/:wid/members` (admin) {email,password?,role} -> the member. 201. */
  @Post(':wid/members')
  @WorkspaceRole('admin')
  addMember(
    @CurrentMembership() m: MembershipContext,
    @Body() body: AddMemberDto,
    @CurrentUser() user: AuthUser,
    @ReqMeta() meta: RequestMeta,
  ): Promise<TMember> {
    return this.workspaces.addMember(
      m.workspaceId,
      body.email,
      body.role,
      body.password,
      auditContextOf(user, meta),
    );
  }

  /** `PATCH /api/workspaces/:wid/members/:userId` (admin) {role}; 409 for the last admin. */
  @Patch(':wid/members/:userId')
  @WorkspaceRole('admin')
  changeRole(
    @CurrentMembership() m: MembershipContext,
    @Param('userId', new ParseUUIDPipe({ errorHttpStatusCode: 404 })) userId: string,
    @Body() body: UpdateMemberDto,
    @CurrentUser() user: AuthUser,
    @ReqMeta() meta: RequestMeta,
  ): Promise<TMember> {
    return this.workspaces.changeRole(m.workspaceId, userId, body.role, auditContextOf(user, meta));
  }
}
