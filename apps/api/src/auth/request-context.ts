import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { TSignInMethod, TWorkspaceRole } from '@bastion/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** The signed-in user as guards attach it to the request. */
export interface AuthUser {
  id: string;
  email: string;
  totpEnabled: boolean;
}

export interface AuthContext {
  user: AuthUser;
  /** Id (token hash) of the current session. */
  sessionId: string;
  /** CSRF token of the current session. */
  csrfToken: string;
  /** How the current session signed in. */
  signInMethod: TSignInMethod;
}

/** The caller's membership in the workspace named by the route's `:wid`. */
export interface MembershipContext {
  workspaceId: string;
  role: TWorkspaceRole;
}

/** Who made a request and from where, for the audit log. */
export interface RequestMeta {
  ip: string;
  userAgent: string | undefined;
  correlationId: string;
  /**
   * Aborted when the client goes away before its answer was sent (a run waiting in the run
   * queue then leaves it). Absent outside requests.
   */
  clientGone?: AbortSignal;
}

declare module 'fastify' {
  interface FastifyRequest {
    auth?: AuthContext;
    membership?: MembershipContext;
  }
}

export const IS_PUBLIC = 'bastion:isPublic';

/** Marks a route as reachable without a session (health, setup, login). */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** The signed-in user; only on routes behind the session guard. */
export const CurrentUser = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): AuthUser => {
    const request = ctx.switchToHttp().getRequest<FastifyRequest>();
    if (!request.auth) throw new Error('CurrentUser used on a public route');
    return request.auth.user;
  },
);

/** The session behind the request (id and CSRF token). */
export const CurrentSession = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): AuthContext => {
    const request = ctx.switchToHttp().getRequest<FastifyRequest>();
    if (!request.auth) throw new Error('CurrentSession used on a public route');
    return request.auth;
  },
);

/** The caller's membership, set by `@WorkspaceRole(...)`. */
export const CurrentMembership = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): MembershipContext => {
    const request = ctx.switchToHttp().getRequest<FastifyRequest>();
    if (!request.membership) throw new Error('CurrentMembership used without @WorkspaceRole');
    return request.membership;
  },
);

/** Source address, user agent and correlation id of the request. */
export const ReqMeta = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): RequestMeta => {
    const request = ctx.switchToHttp().getRequest<FastifyRequest>();
    const reply = ctx.switchToHttp().getResponse<FastifyReply>();
    const ua = request.headers['user-agent'];
    const gone = new AbortController();
    // 'close' comes after the answer too; only a close before it finished means the client left.
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) gone.abort();
    });
    return {
      ip: request.ip,
      userAgent: ua?.slice(0, 256),
      correlationId: String(request.id),
      clientGone: gone.signal,
    };
  },
);
