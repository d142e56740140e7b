import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { AuthErrorCode, AuthException } from './auth.exception';
import { IS_PUBLIC } from './request-context';
import { SessionService } from './session.service';
import { csrfTokenMatches, SESSION_COOKIE } from './session-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Global guard: every route needs a live session unless marked `@Public()`, and every
 * state-changing request must carry the session's `x-csrf-token` (403 otherwise).
 */
@Injectable()
export class SessionAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly sessions: SessionService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const token = request.cookies?.[SESSION_COOKIE];
    const resolved = token ? await this.sessions.resolve(token) : null;
    if (!token || !resolved) {
      throw new AuthException(AuthErrorCode.NotSignedIn, 'Sign in to continue');
    }
    if (!SAFE_METHODS.has(request.method)) {
      const presented = request.headers['x-csrf-token'];
      if (
        !csrfTokenMatches(resolved.csrfToken, typeof presented === 'string' ? presented : undefined)
      ) {
        throw new AuthException(
          AuthErrorCode.CsrfTokenInvalid,
          'Missing or invalid x-csrf-token header; reload the page and try again',
        );
      }
    }
    request.auth = {
      user: {
        id: resolved.user.id,
        email: resolved.user.email,
        totpEnabled: resolved.user.totpEnabled,
      },
      sessionId: resolved.sessionId,
      csrfToken: resolved.csrfToken,
      signInMethod: resolved.signInMethod,
    };
    return true;
  }
}
