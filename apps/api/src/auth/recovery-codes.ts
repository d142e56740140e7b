import { createHash, randomBytes } from 'node:crypto';

/** How many recovery codes a user gets at a time. */
export const RECOVERY_CODE_COUNT = 10;

/**
 * A new recovery code: 128 random bits as 32 hex digits in four groups
 * (`1a2b3c4d-...`). 128 bits make offline guessing of a leaked hash hopeless, so a fast hash
 * (SHA-256) is enough (OWASP Multifactor Authentication Cheat Sheet, recovery codes).
 */
export function newRecoveryCode(): string {
  const hex = randomBytes(16).toString('hex');
  return hex.match(/.{8}/g)!.join('-');
}

/** Canonical form of what a user typed: hex digits only, lower case. */
export function normalizeRecoveryCode(input: string): string {
  return input.toLowerCase().replace(/[^0-9a-f]/g, '');
}

/** SHA-256 (hex) of the canonical form; what the `recovery_codes` table stores. */
export function hashRecoveryCode(input: string): string {
  return createHash('sha256').update(normalizeRecoveryCode(input)).digest('hex');
}

/** True when the input has the length of a recovery code once normalised. */
export function looksLikeRecoveryCode(input: string): boolean {
  return normalizeRecoveryCode(input).length === 32;
}
