import { Injectable } from '@nestjs/common';
import type { TSessionListResponse, TSignInMethod } from '@bastion/contracts';
import { randomUUID } from 'node:crypto';
import { CachedSession, SessionCache } from './session-cache';
import { SessionEntity } from './session.entity';
import { SessionRepository } from './session.repository';
import { csrfTokenFor, newSessionToken, sessionIdFor } from './session-token';
import { UserRepository } from './user.repository';

/**
 * Idle and absolute session lifetimes (OWASP Session Management Cheat Sheet, "Session
 * Expiration": pick per risk; an editor is used all day, so 8 h idle, 7 days absolute).
 */
export const SESSION_IDLE_MS = 8 * 60 * 60 * 1000;
export const SESSION_ABSOLUTE_MS = 7 * 24 * 60 * 60 * 1000;
/** `last_seen_at` is written at most once a minute per session, not on every request. */
const TOUCH_INTERVAL_MS = 60 * 1000;

export interface ResolvedSession {
  /** Session id (SHA-256 of the cookie token). */
  sessionId: string;
  user: { id: string; email: string; totpEnabled: boolean };
  csrfToken: string;
  /** How this session signed in (what "require two-factor" checks). */
  signInMethod: TSignInMethod;
}

@Injectable()
export class SessionService {
  constructor(
    private readonly sessions: SessionRepository,
    private readonly users: UserRepository,
    private readonly cache: SessionCache,
  ) {}

  /**
   * Starts a session that signed in with `signInMethod`; returns the cookie token (shown once,
   * stored only as its hash).
   */
  async create(
    userId: string,
    meta: { ip?: string; userAgent?: string },
    signInMethod: TSignInMethod,
  ): Promise<{ token: string; csrfToken: string; expiresAt: Date }> {
    const token = newSessionToken();
    const now = new Date();
    const session = Object.assign(new SessionEntity(), {
      id: sessionIdFor(token),
      publicId: randomUUID(),
      userId,
      signInMethod,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + SESSION_ABSOLUTE_MS),
      revokedAt: null,
      ip: meta.ip?.slice(0, 64) ?? null,
      userAgent: meta.userAgent?.slice(0, 256) ?? null,
    });
    await this.sessions.insert(session);
    return { token, csrfToken: csrfTokenFor(token), expiresAt: session.expiresAt };
  }

  /**
   * The live session behind a cookie token, or null if unknown, revoked or expired. Served
   * from {@link SessionCache} for up to `AUTH_CACHE_TTL_MS` (idle and absolute expiry are
   * checked on every call); a miss reads the session and its user.
   */
  async resolve(token: string): Promise<ResolvedSession | null> {
    if (token.length < 20 || token.length > 100) return null;
    const id = sessionIdFor(token);
    const now = Date.now();
    let live = this.cache.get(id);
    if (!live) {
      const ticket = this.cache.ticket();
      const found = await this.load(id);
      if (!found) return null;
      live = found;
      this.cache.set(id, live, ticket);
    }
    if (live.expiresAt <= now || live.lastSeenAt + SESSION_IDLE_MS <= now) return null;
    if (now - live.lastSeenAt > TOUCH_INTERVAL_MS) {
      live.lastSeenAt = now;
      await this.sessions.touch(id, new Date(now));
    }
    return {
      sessionId: id,
      user: live.user,
      csrfToken: csrfTokenFor(token),
      signInMethod: live.signInMethod,
    };
  }

  /** Ends one session; effective at once on this replica (the cache entry goes too). */
  async revoke(sessionId: string): Promise<void> {
    await this.sessions.revoke(sessionId, new Date());
    this.cache.delete(sessionId);
  }

  /**
   * Revokes one live session of `userId`, named by its public id; effective at once on this
   * replica. @returns the revoked session's id (token hash), or null when the user has no such
   * live session (unknown, another user's, already revoked, expired or idle).
   */
  async revokeByPublicId(userId: string, publicId: string): Promise<string | null> {
    const session = await this.sessions.findByPublicId(userId, publicId);
    if (!session || !isLive(session, Date.now())) return null;
    await this.revoke(session.id);
    return session.id;
  }

  /** Live sessions of a user (idle ones excluded), for the account page. */
  async listLive(userId: string, currentSessionId: string): Promise<TSessionListResponse> {
    const now = Date.now();
    const rows = await this.sessions.listActive(userId, new Date(now));
    return rows
      .filter((s) => isLive(s, now))
      .map((s) => ({
        id: s.publicId,
        createdAt: s.createdAt.toISOString(),
        lastSeenAt: s.lastSeenAt.toISOString(),
        ip: s.ip,
        userAgent: s.userAgent,
        signInMethod: s.signInMethod,
        current: s.id === currentSessionId,
      }));
  }

  /**
   * Records that the session proved a stronger factor (two-factor enrolment confirmed with a
   * TOTP code); effective at once on this replica.
   */
  async upgrade(sessionId: string, signInMethod: TSignInMethod): Promise<void> {
    await this.sessions.setSignInMethod(sessionId, signInMethod);
    this.cache.delete(sessionId);
  }

  /** Sign out everywhere (optionally keeping the current session). */
  async revokeAllForUser(userId: string, keepSessionId?: string): Promise<void> {
    await this.sessions.revokeAllForUser(userId, new Date(), keepSessionId);
    this.cache.forgetUser(userId);
  }

  /** A session row and its user, or null when unknown, revoked or the user is gone. */
  private async load(id: string): Promise<CachedSession | null> {
    const session = await this.sessions.findById(id);
    if (!session || session.revokedAt) return null;
    const user = await this.users.findById(session.userId);
    if (!user) return null;
    return {
      id,
      userId: user.id,
      lastSeenAt: session.lastSeenAt.getTime(),
      expiresAt: session.expiresAt.getTime(),
      signInMethod: session.signInMethod,
      user: { id: user.id, email: user.email, totpEnabled: user.totpEnabled },
    };
  }
}

/** Not revoked, not past its absolute expiry and not idle at `now` (ms since the epoch). */
function isLive(session: SessionEntity, now: number): boolean {
  return (
    session.revokedAt === null &&
    session.expiresAt.getTime() > now &&
    session.lastSeenAt.getTime() + SESSION_IDLE_MS > now
  );
}
