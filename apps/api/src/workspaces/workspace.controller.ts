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
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import {
  TMember,
  TWorkspace,
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
import { WorkspaceErrorCode, WorkspaceException } from './workspace.exception';
import { WorkspaceService } from './workspace.service';

class CreateWorkspaceDto extends createZodDto(ZCreateWorkspaceRequest) {}
class UpdateMemberDto extends createZodDto(ZUpdateMemberRequest) {}
class UpdateWorkspaceDto extends createZodDto(ZUpdateWorkspaceRequest) {}

@ApiTags('workspaces')
@Controller('workspaces')
export class WorkspaceController {
  constructor(private readonly workspaces: WorkspaceService) {}

  /**
   * `POST /api/workspaces` {name} -> the workspace; the caller becomes its admin. 201. 403
   * `workspace_creation_restricted` (naming the instance setting) for a user who is not an
   * instance admin while `workspaceCreation` is `instance_admins` (the default).
   */
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

  /**
   * `POST /api/workspaces/:wid/members` (admin): gone. Members join only through invitations,
   * so this never attaches an account nor sets a password: always 400 naming the invitation
   * route (with or without a body).
   */
  @Post(':wid/members')
  @WorkspaceRole('admin')
  @ApiOperation({ summary: 'Removed: members are added by invitation (always 400)' })
  @ApiBadRequestResponse({ description: 'members_by_invitation' })
  addMember(@CurrentMembership() m: MembershipContext): never {
    throw new WorkspaceException(
      WorkspaceErrorCode.MembersByInvitation,
      `members are added by invitation: POST /api/workspaces/${m.workspaceId}/invitations`,
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

  /**
   * `DELETE /api/workspaces/:wid/members/:userId` (admin): removes the member from the
   * workspace; their account and other memberships stay. 204. Their next request to this
   * workspace is 404. 409 `last_admin` for the last admin (also removing yourself); 404 when the
   * user is not a member of this workspace; 403 below admin or without `x-csrf-token`.
   */
  @Delete(':wid/members/:userId')
  @WorkspaceRole('admin')
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a member from the workspace (admin)' })
  @ApiParam({ name: 'userId', description: 'User id of the member to remove' })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiUnauthorizedResponse({ description: 'Not signed in' })
  @ApiForbiddenResponse({ description: 'Not an admin of the workspace, or x-csrf-token missing' })
  @ApiNotFoundResponse({ description: 'No such workspace for the caller, or not a member of it' })
  @ApiConflictResponse({ description: 'last_admin: the workspace would be left without an admin' })
  removeMember(
    @CurrentMembership() m: MembershipContext,
    @Param('userId', new ParseUUIDPipe({ errorHttpStatusCode: 404 })) userId: string,
    @CurrentUser() user: AuthUser,
    @ReqMeta() meta: RequestMeta,
  ): Promise<void> {
    return this.workspaces.removeMember(
      m.workspaceId,
      userId.toLowerCase(),
      auditContextOf(user, meta),
    );
  }
}
