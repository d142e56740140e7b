import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Name of the session cookie (httpOnly, SameSite=Lax, Secure on HTTPS). */
export const SESSION_COOKIE = 'bastion_session';

/** A new opaque session token: 256 random bits, base64url (OWASP Session Management). */
export function newSessionToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Sessions are stored by the SHA-256 of their token, so the table alone opens no session. */
export function sessionIdFor(token: string): string {
  // One-shot hash (Node >= 20.12): the same digest as createHash, without the stream object.
  return hash('sha256', token, 'hex');
}

/**
 * The CSRF token of a session: derived from the cookie token, which a cross-site page cannot
 * read, so nothing extra is stored ("synchronizer token" derived per session, OWASP CSRF
 * Prevention Cheat Sheet).
 */
export function csrfTokenFor(token: string): string {
  return hash('sha256', `csrf:${token}`, 'base64url');
}

/**
 * Constant-time comparison of a presented CSRF token with the session's
 * ({@link csrfTokenFor} of its cookie token).
 */
export function csrfTokenMatches(csrfToken: string, presented: string | undefined): boolean {
  if (!presented) return false;
  const expected = Buffer.from(csrfToken);
  const given = Buffer.from(presented);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
