import { createHash, randomBytes } from 'node:crypto';

/** 256 random bits, base64url: 43 characters (OWASP Forgot Password Cheat Sheet, "URL tokens"). */
export const INVITATION_TOKEN_BYTES = 32;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** Invitations live 7 days unless accepted, revoked or resent first. */
export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** A new invitation token (shown once) and the hash that is stored. */
export function newInvitationToken(): { token: string; tokenHash: string } {
  const token = randomBytes(INVITATION_TOKEN_BYTES).toString('base64url');
  return { token, tokenHash: invitationTokenHash(token) };
}

/** Hex SHA-256 of a token: the lookup key in `invitations.token_hash`. */
export function invitationTokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** True when `token` has the shape of a token we issue (anything else is a 404 without a lookup). */
export function isInvitationTokenShaped(token: string | undefined): token is string {
  return typeof token === 'string' && TOKEN_SHAPE.test(token);
}
