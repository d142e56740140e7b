import { authenticator } from 'otplib';

/** RFC 6238 time step in seconds (the default every authenticator app uses). */
export const TOTP_STEP_SECONDS = 30;
/** Steps accepted on either side of now: ±1 (RFC 6238 section 5.2 allows one for drift). */
export const TOTP_WINDOW = 1;
/** Seed length: 160 bits, the HMAC-SHA1 block recommendation of RFC 4226 section 4. */
const SECRET_BYTES = 20;
const ISSUER = 'Bastion';

/** A new base32 TOTP seed (RFC 4648 base32, as the otpauth URI and apps expect). */
export function generateTotpSecret(): string {
  return authenticator.generateSecret(SECRET_BYTES);
}

/**
 * The `otpauth://totp/Bastion:<email>?secret=...` URI an authenticator app scans (Key Uri
 * Format, github.com/google/google-authenticator/wiki/Key-Uri-Format).
 */
export function totpUri(email: string, secret: string): string {
  return authenticator.keyuri(email, ISSUER, secret);
}

/** True for text shaped like a TOTP code (6 digits, spaces ignored). */
export function looksLikeTotpCode(code: string): boolean {
  return /^\d{6}$/.test(code.replace(/\s+/g, ''));
}

/**
 * Checks a 6-digit code against a seed at `nowMs` with a ±{@link TOTP_WINDOW} step window.
 * @returns the absolute time step (floor(unix seconds / 30)) the code belongs to, or null when
 *   it matches none. Callers must refuse a step at or before the last one accepted (replay).
 */
export function matchTotpStep(code: string, secret: string, nowMs = Date.now()): number | null {
  const clean = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(clean)) return null;
  const delta = authenticator
    .clone({ window: TOTP_WINDOW, epoch: nowMs, step: TOTP_STEP_SECONDS })
    .checkDelta(clean, secret);
  if (delta === null) return null;
  return Math.floor(nowMs / 1000 / TOTP_STEP_SECONDS) + delta;
}

/** The code of `secret` at `atMs` (tests, and the enrolment self-check). */
export function totpCodeAt(secret: string, atMs: number): string {
  return authenticator.clone({ epoch: atMs, step: TOTP_STEP_SECONDS }).generate(secret);
}
