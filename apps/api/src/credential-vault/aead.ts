import { createCipheriv, createDecipheriv, KeyObject, randomBytes } from 'node:crypto';

/** AES-256 key length in bytes (KEKs and data keys alike). */
export const KEY_BYTES = 32;
/** GCM nonce length: 96 bits, the size NIST SP 800-38D recommends for random nonces. */
export const NONCE_BYTES = 12;
/** Full 128-bit GCM tag; shorter tags are refused so a truncated tag cannot be forged. */
export const TAG_BYTES = 16;

const B64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Additional authenticated data from an ordered list of strings. JSON array encoding keeps the
 * parts unambiguous (`["a:b","c"]` differs from `["a","b:c"]`), unlike a plain separator.
 */
export function aadOf(...parts: string[]): Buffer {
  return Buffer.from(JSON.stringify(parts), 'utf8');
}

/**
 * Encrypts with AES-256-GCM under a fresh random 96-bit nonce.
 * @returns `<base64url nonce>.<base64url ciphertext||tag>`; the caller adds its version prefix.
 */
export function aesGcmSeal(key: KeyObject, plaintext: Buffer, aad: Buffer): string {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return `${nonce.toString('base64url')}.${body.toString('base64url')}`;
}

/**
 * Opens what {@link aesGcmSeal} produced (the two parts after any version prefix).
 * @returns the plaintext, or null when the parts are malformed, the key is wrong, the AAD
 *   differs, or a single bit changed. Never throws, so no crypto error text can leak upward.
 */
export function aesGcmOpen(
  key: KeyObject,
  nonceText: string,
  bodyText: string,
  aad: Buffer,
): Buffer | null {
  const nonce = decodeBase64Url(nonceText);
  const body = decodeBase64Url(bodyText);
  if (!nonce || nonce.length !== NONCE_BYTES || !body || body.length < TAG_BYTES) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    return Buffer.concat([
      decipher.update(body.subarray(0, body.length - TAG_BYTES)),
      decipher.final(),
    ]);
  } catch {
    return null;
  }
}

/**
 * Strict base64url: only the canonical spelling decodes, so changing any character of a stored
 * string (even unused trailing bits) makes it invalid rather than silently equal.
 */
export function decodeBase64Url(text: string): Buffer | null {
  if (!B64URL.test(text)) return null;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : null;
}
