import {
  applyDecorators,
  CanActivate,
  ExecutionContext,
  Injectable,
  SetMetadata,
  UseGuards,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { TWO_FACTOR_SIGN_IN_METHODS, type TWorkspaceRole } from '@bastion/contracts';
import type { FastifyRequest } from 'fastify';
import { WorkspaceRepository } from './workspace.repository';
import { WorkspaceErrorCode, WorkspaceException, workspaceNotFound } from './workspace.exception';

const MIN_ROLE = 'bastion:minWorkspaceRole';
const RANK: Record<TWorkspaceRole, number> = { viewer: 1, editor: 2, admin: 3 };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when `role` is at least `min` (admin > editor > viewer). */
export function roleAtLeast(role: TWorkspaceRole, min: TWorkspaceRole): boolean {
  return RANK[role] >= RANK[min];
}

/**
 * Checks the caller's role in the workspace named by the route's `:wid`. Not a member (or no
 * such workspace, or a malformed id) is 404, so the existence of another workspace is never
 * confirmed; a member below `min` gets 403. A workspace that requires two-factor refuses
 * sessions that did not sign in with it (403), also when the account has it enrolled. Sets `request.membership`.
 */
@Injectable()
export class WorkspaceRoleGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly workspaces: WorkspaceRepository,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const min = this.reflector.get<TWorkspaceRole>(MIN_ROLE, context.getHandler());
    const request = context
      .switchToHttp()
      .getRequest<FastifyRequest<{ Params: { wid?: string } }>>();
    const workspaceId = request.params.wid;
    const auth = request.auth;
    if (!auth || !workspaceId || !UUID.test(workspaceId)) throw workspaceNotFound();
    const user = auth.user;
    const id = workspaceId.toLowerCase();
    const access = await this.workspaces.findAccess(id, user.id);
    if (!access) throw workspaceNotFound();
    if (!roleAtLeast(access.role, min)) {
      throw new WorkspaceException(
        WorkspaceErrorCode.Forbidden,
        `This action needs the ${min} role in this workspace`,
      );
    }
    // The session's own sign-in decides, not the account's flag: a session signed in with a
    // password alone stays password-only after the user enrols two-factor elsewhere.
    if (access.requireTwoFactor && !TWO_FACTOR_SIGN_IN_METHODS.includes(auth.signInMethod)) {
      throw new WorkspaceException(
        WorkspaceErrorCode.TwoFactorRequired,
        user.totpEnabled
          ? 'This workspace requires two-factor authentication: sign in again with two-factor'
          : 'This workspace requires two-factor authentication; enrol it on your account page',
      );
    }
    request.membership = { workspaceId: id, role: access.role };
    return true;
  }
}

/**
 * Requires at least `min` in the workspace of the route's `:wid` parameter. Use on every
 * route under `/api/workspaces/:wid/...`.
 */
export const WorkspaceRole = (min: TWorkspaceRole) =>
  applyDecorators(SetMetadata(MIN_ROLE, min), UseGuards(WorkspaceRoleGuard));
