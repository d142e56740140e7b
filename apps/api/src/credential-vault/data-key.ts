import { createSecretKey, KeyObject, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { aadOf, aesGcmOpen, aesGcmSeal, KEY_BYTES } from './aead';
import type { Kek } from './keyring';

/** Version prefix of a stored secret field: `v1.<base64url nonce>.<base64url ciphertext||tag>`. */
export const SECRET_FORMAT_V1 = 'v1';
/** Version prefix of a wrapped data key (the KEK id is stored beside it, in `kek_id`). */
export const WRAPPED_KEY_FORMAT_V1 = 'v1';

/** AAD of a secret field: binds the ciphertext to its workspace, datasource and field. */
export function secretAad(workspaceId: string, datasourceId: string, field: string): Buffer {
  return aadOf('bastion.secret.v1', workspaceId, datasourceId, field);
}

/** AAD of a wrapped data key: binds it to its row and to the KEK id stored beside it. */
export function dataKeyAad(workspaceId: string, datasourceId: string, kekId: string): Buffer {
  return aadOf('bastion.data-key.v1', workspaceId, datasourceId, kekId);
}

/** Splits `v1.<a>.<b>`; null when the version or the shape differs. */
function splitV1(stored: string, version: string): [string, string] | null {
  const parts = stored.split('.');
  return parts.length === 3 && parts[0] === version ? [parts[1], parts[2]] : null;
}

/**
 * A datasource's 256-bit data key, unwrapped. Its material stays in a private `KeyObject`:
 * never serialized, inspected or logged; it leaves this class only wrapped by a KEK.
 */
export class DataKey {
  readonly #key: KeyObject;

  private constructor(key: KeyObject) {
    this.#key = key;
  }

  /** A fresh random data key from the CSPRNG. */
  static generate(): DataKey {
    return new DataKey(createSecretKey(randomBytes(KEY_BYTES)));
  }

  /**
   * Unwraps a stored data key.
   * @returns null when the KEK is wrong, the row was tampered with or moved to another row.
   */
  static unwrap(
    kek: Kek,
    wrapped: string,
    workspaceId: string,
    datasourceId: string,
  ): DataKey | null {
    const parts = splitV1(wrapped, WRAPPED_KEY_FORMAT_V1);
    if (!parts) return null;
    const raw = kek.open(parts[0], parts[1], dataKeyAad(workspaceId, datasourceId, kek.id));
    if (!raw || raw.length !== KEY_BYTES) return null;
    const key = createSecretKey(raw);
    raw.fill(0);
    return new DataKey(key);
  }

  /** Wraps this key under `kek` for its row: `v1.<nonce>.<ciphertext||tag>`. */
  wrap(kek: Kek, workspaceId: string, datasourceId: string): string {
    const raw = this.#key.export();
    try {
      return `${WRAPPED_KEY_FORMAT_V1}.${kek.seal(raw, dataKeyAad(workspaceId, datasourceId, kek.id))}`;
    } finally {
      raw.fill(0);
    }
  }

  /** Encrypts one secret field value (UTF-8) into its stored form `v1.<nonce>.<ct||tag>`. */
  encryptField(
    workspaceId: string,
    datasourceId: string,
    field: string,
    plaintext: string,
  ): string {
    const sealed = aesGcmSeal(
      this.#key,
      Buffer.from(plaintext, 'utf8'),
      secretAad(workspaceId, datasourceId, field),
    );
    return `${SECRET_FORMAT_V1}.${sealed}`;
  }

  /**
   * Decrypts a stored field value.
   * @returns the UTF-8 plaintext, or null for any failure (other row or field, flipped bit,
   *   unknown version, malformed text).
   */
  decryptField(
    workspaceId: string,
    datasourceId: string,
    field: string,
    stored: string,
  ): string | null {
    const parts = splitV1(stored, SECRET_FORMAT_V1);
    if (!parts) return null;
    const plain = aesGcmOpen(
      this.#key,
      parts[0],
      parts[1],
      secretAad(workspaceId, datasourceId, field),
    );
    return plain ? plain.toString('utf8') : null;
  }

  toJSON(): string {
    return '[redacted data key]';
  }

  [inspect.custom](): string {
    return 'DataKey([redacted])';
  }
}
