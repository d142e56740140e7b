import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  Header,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Req,
  Res,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiGoneResponse,
  ApiNotFoundResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import {
  TAcceptInvitationResponse,
  TCreatedInvitation,
  TInvitation,
  TInvitationPreview,
  ZAcceptInvitationRequest,
  ZCreateInvitationRequest,
} from '@bastion/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createZodDto } from 'nestjs-zod';
import { auditContextOf } from '../audit/audit.service';
import { AuthThrottlerGuard } from '../auth/auth-throttler.guard';
import {
  AuthUser,
  CurrentMembership,
  CurrentUser,
  MembershipContext,
  Public,
  ReqMeta,
  RequestMeta,
} from '../auth/request-context';
import { setSessionCookie } from '../auth/session-cookie';
import { SESSION_COOKIE } from '../auth/session-token';
import { publicOrigin } from '../common/http/public-origin';
import { InvitationService } from './invitation.service';
import { WorkspaceRole } from './workspace-role.guard';

class CreateInvitationDto extends createZodDto(ZCreateInvitationRequest) {}
class AcceptInvitationDto extends createZodDto(ZAcceptInvitationRequest) {}

const uuid404 = () => new ParseUUIDPipe({ errorHttpStatusCode: 404 });

function originOf(request: FastifyRequest): string {
  const origin = publicOrigin(request);
  if (!origin) throw new BadRequestException('Host: the request has no valid Host header');
  return origin;
}

/** Admins' side of invitations: `/api/workspaces/:wid/invitations`. */
@ApiTags('workspaces')
@Controller('workspaces/:wid/invitations')
export class WorkspaceInvitationController {
  constructor(private readonly invitations: InvitationService) {}

  /**
   * `POST /api/workspaces/:wid/invitations` (admin) {email,role} -> 201
   * {id,email,role,expiresAt,inviteUrl}. `inviteUrl` (`<origin>/invite/<token>`) is shown only
   * here and by resend (`Cache-Control: no-store`). Same answer whether or not the email has an account; 409 when it is
   * already a member.
   */
  @Post()
  @WorkspaceRole('admin')
  @Header('cache-control', 'no-store')
  @ApiOperation({ summary: 'Invite an email to the workspace (admin); the link is shown once' })
  @ApiConflictResponse({ description: 'already_member' })
  create(
    @CurrentMembership() m: MembershipContext,
    @Body() body: CreateInvitationDto,
    @CurrentUser() user: AuthUser,
    @ReqMeta() meta: RequestMeta,
    @Req() request: FastifyRequest,
  ): Promise<TCreatedInvitation> {
    return this.invitations.create(
      m.workspaceId,
      body.email,
      body.role,
      originOf(request),
      auditContextOf(user, meta),
    );
  }

  /** `GET /api/workspaces/:wid/invitations` (admin) -> pending invitations, never a token. */
  @Get()
  @WorkspaceRole('admin')
  list(@CurrentMembership() m: MembershipContext): Promise<TInvitation[]> {
    return this.invitations.list(m.workspaceId);
  }

  /**
   * `POST /api/workspaces/:wid/invitations/:id/resend` (admin) -> 201, the create answer with
   * a new link; the old link is dead. 404 when not pending or another workspace's.
   */
  @Post(':id/resend')
  @WorkspaceRole('admin')
  @Header('cache-control', 'no-store')
  @ApiNotFoundResponse({ description: 'No pending invitation of this workspace has this id' })
  resend(
    @CurrentMembership() m: MembershipContext,
    @Param('id', uuid404()) id: string,
    @CurrentUser() user: AuthUser,
    @ReqMeta() meta: RequestMeta,
    @Req() request: FastifyRequest,
  ): Promise<TCreatedInvitation> {
    return this.invitations.resend(
      m.workspaceId,
      id.toLowerCase(),
      originOf(request),
      auditContextOf(user, meta),
    );
  }

  /**
   * `DELETE /api/workspaces/:wid/invitations/:id` (admin): revokes a pending invitation. 204;
   * 404 when not pending or another workspace's.
   */
  @Delete(':id')
  @WorkspaceRole('admin')
  @HttpCode(204)
  @ApiNotFoundResponse({ description: 'No pending invitation of this workspace has this id' })
  revoke(
    @CurrentMembership() m: MembershipContext,
    @Param('id', uuid404()) id: string,
    @CurrentUser() user: AuthUser,
    @ReqMeta() meta: RequestMeta,
  ): Promise<void> {
    return this.invitations.revoke(m.workspaceId, id.toLowerCase(), auditContextOf(user, meta));
  }
}

/**
 * The invitee's side: `/api/invitations/:token`. Public (the link is the credential) and rate
 * limited per address and per token like sign-in (`AuthThrottlerGuard`).
 */
@ApiTags('auth')
@Controller('invitations')
export class InvitationLinkController {
  constructor(private readonly invitations: InvitationService) {}

  /**
   * `GET /api/invitations/:token` (public) -> {workspaceName,role,email,expiresAt,
   * accountRequired}. 404 for an unknown link, 410 when used, revoked, replaced or expired.
   */
  @Public()
  @UseGuards(AuthThrottlerGuard)
  @Get(':token')
  @Header('cache-control', 'no-store')
  @ApiNotFoundResponse({ description: 'Unknown link' })
  @ApiGoneResponse({ description: 'Used, revoked, replaced by a resend, or expired' })
  preview(@Param('token') token: string): Promise<TInvitationPreview> {
    return this.invitations.preview(token);
  }

  /**
   * `POST /api/invitations/:token/accept` {password?} -> 200
   * {workspaceId,workspaceName,role,user,csrfToken}. New email: `password` creates the account
   * and signs in (session cookie). Existing account: be signed in as it (`x-csrf-token`), no
   * password. 400 missing/weak/unexpected password, 401 not signed in, 403 another account or
   * bad CSRF, 404 unknown link, 409 account created meanwhile, 410 used/revoked/expired,
   * 429 past the rate limit.
   */
  @Public()
  @UseGuards(AuthThrottlerGuard)
  @Post(':token/accept')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @ApiBadRequestResponse({ description: 'password missing, weak, or not used by this invitation' })
  @ApiUnauthorizedResponse({ description: 'Sign in as the invited email first' })
  @ApiForbiddenResponse({ description: 'Signed in as another account, or x-csrf-token wrong' })
  @ApiNotFoundResponse({ description: 'Unknown link' })
  @ApiGoneResponse({ description: 'Used, revoked, replaced by a resend, or expired' })
  async accept(
    @Param('token') token: string,
    @Body() body: AcceptInvitationDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
    @ReqMeta() meta: RequestMeta,
  ): Promise<TAcceptInvitationResponse> {
    const csrf = request.headers['x-csrf-token'];
    const { response, newSession } = await this.invitations.accept(token, body.password, {
      sessionToken: request.cookies?.[SESSION_COOKIE],
      csrfHeader: typeof csrf === 'string' ? csrf : undefined,
      meta,
    });
    if (newSession) setSessionCookie(request, reply, newSession.token, newSession.expiresAt);
    return response;
  }
}
