import { Injectable } from '@nestjs/common';
import type { TSignInMethod } from '@bastion/contracts';
import { AUTH_CACHE_TTL_MS, ShortLivedCache } from './short-lived-cache';

/** What the session guard needs of a live session; no token, hash of a password or seed. */
export interface CachedSession {
  /** Session id (SHA-256 of the cookie token). */
  id: string;
  userId: string;
  /** Milliseconds since the epoch. */
  lastSeenAt: number;
  /** Absolute expiry, milliseconds since the epoch. */
  expiresAt: number;
  signInMethod: TSignInMethod;
  user: { id: string; email: string; totpEnabled: boolean };
}

/**
 * Live sessions resolved in the last {@link AUTH_CACHE_TTL_MS} ms, keyed by session id, so
 * the guard does not read `sessions` and `users` on every request. Only live sessions are
 * stored. Every write that ends or changes a session or its user invalidates here after its
 * database write (`SessionService.revoke*`, `UserRepository.update`, two-factor changes), so
 * logout, sign-out everywhere, a password change and two-factor changes take effect at once
 * on this replica.
 */
@Injectable()
export class SessionCache extends ShortLivedCache<CachedSession> {
  constructor() {
    super(AUTH_CACHE_TTL_MS);
  }

  /** Forgets every cached session of a user (after a change to the user or its sessions). */
  forgetUser(userId: string): void {
    this.deleteWhere((s) => s.userId === userId);
  }
}
