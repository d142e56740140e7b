import { Injectable } from '@nestjs/common';
import { SessionEntity } from './session.entity';
import { SessionRepository } from './session.repository';
import { csrfTokenFor, newSessionToken, sessionIdFor } from './session-token';
import { UserEntity } from './user.entity';
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
  session: SessionEntity;
  user: UserEntity;
  csrfToken: string;
}

@Injectable()
export class SessionService {
  constructor(
    private readonly sessions: SessionRepository,
    private readonly users: UserRepository,
  ) {}

  /** Starts a session; returns the cookie token (shown once, stored only as its hash). */
  async create(
    userId: string,
    meta: { ip?: string; userAgent?: string },
  ): Promise<{ token: string; csrfToken: string; expiresAt: Date }> {
    const token = newSessionToken();
    const now = new Date();
    const session = Object.assign(new SessionEntity(), {
      id: sessionIdFor(token),
      userId,
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

  /** The live session behind a cookie token, or null if unknown, revoked or expired. */
  async resolve(token: string): Promise<ResolvedSession | null> {
    if (token.length < 20 || token.length > 100) return null;
    const session = await this.sessions.findById(sessionIdFor(token));
    if (!session || session.revokedAt) return null;
    const now = Date.now();
    if (session.expiresAt.getTime() <= now) return null;
    if (session.lastSeenAt.getTime() + SESSION_IDLE_MS <= now) return null;
    const user = await this.users.findById(session.userId);
    if (!user) return null;
    if (now - session.lastSeenAt.getTime() > TOUCH_INTERVAL_MS) {
      await this.sessions.touch(session.id, new Date(now));
    }
    return { session, user, csrfToken: csrfTokenFor(token) };
  }

  revoke(sessionId: string): Promise<void> {
    return this.sessions.revoke(sessionId, new Date());
  }

  /** Live sessions of a user (idle ones excluded), for the account page. */
  async listLive(userId: string, currentSessionId: string) {
    const now = Date.now();
    const rows = await this.sessions.listActive(userId, new Date(now));
    return rows
      .filter((s) => s.lastSeenAt.getTime() + SESSION_IDLE_MS > now)
      .map((s) => ({
        createdAt: s.createdAt.toISOString(),
        lastSeenAt: s.lastSeenAt.toISOString(),
        ip: s.ip,
        userAgent: s.userAgent,
        current: s.id === currentSessionId,
      }));
  }

  /** Sign out everywhere (optionally keeping the current session). */
  revokeAllForUser(userId: string, keepSessionId?: string): Promise<void> {
    return this.sessions.revokeAllForUser(userId, new Date(), keepSessionId);
  }
}
