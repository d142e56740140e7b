import { aadOf } from './aead';
import type { Keyring } from './keyring';

/**
 * Stored form of an instance secret (a secret that belongs to no datasource, e.g. a user's TOTP
 * seed): `vk1.<kek id>.<base64url nonce>.<base64url ciphertext||tag>`, AES-256-GCM directly
 * under a KEK. The KEK id is part of the string because the owning module stores it in one
 * column of its own table; `vault rotate` re-seals it under the active KEK through a
 * `VaultInstanceSecretStore`.
 */
export const INSTANCE_SECRET_FORMAT = 'vk1';

/** AAD binding an instance secret to its purpose and owner id (e.g. `totp`, a user id). */
export function instanceSecretAad(purpose: string, id: string): Buffer {
  return aadOf('bastion.instance-secret.v1', purpose, id);
}

/** Seals under the keyring's active KEK. */
export function sealInstanceSecret(
  keyring: Keyring,
  purpose: string,
  id: string,
  plaintext: string,
): string {
  const kek = keyring.active;
  const sealed = kek.seal(Buffer.from(plaintext, 'utf8'), instanceSecretAad(purpose, id));
  return `${INSTANCE_SECRET_FORMAT}.${kek.id}.${sealed}`;
}

/** The KEK id a sealed instance secret names, or null when the text is not of this format. */
export function instanceSecretKekId(sealed: string): string | null {
  const parts = sealed.split('.');
  return parts.length === 4 && parts[0] === INSTANCE_SECRET_FORMAT ? parts[1] : null;
}

/**
 * Opens a sealed instance secret with whichever configured KEK it names.
 * @returns the plaintext, or null when malformed, tampered, bound to another purpose/id, or
 *   sealed under a KEK that is not configured.
 */
export function openInstanceSecret(
  keyring: Keyring,
  purpose: string,
  id: string,
  sealed: string,
): string | null {
  const parts = sealed.split('.');
  if (parts.length !== 4 || parts[0] !== INSTANCE_SECRET_FORMAT) return null;
  const kek = keyring.get(parts[1]);
  if (!kek) return null;
  const plain = kek.open(parts[2], parts[3], instanceSecretAad(purpose, id));
  return plain ? plain.toString('utf8') : null;
}
