import { createSecretKey, KeyObject, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { aesGcmOpen, aesGcmSeal, KEY_BYTES } from './aead';

/** Key ids: short, lower-case, safe to print and to embed in stored forms (no dot). */
export const KEY_ID_PATTERN = /^[a-z0-9_-]{1,32}$/;
const STD_BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const URL_BASE64 = /^[A-Za-z0-9_-]+$/;

/**
 * Key material published in documentation (README, examples). A server in production refuses
 * to use one of these as its active key: anyone who read the docs could decrypt its vault.
 * Add every key you ever show in docs here.
 */
export const EXAMPLE_VAULT_KEYS: readonly string[] = [
  // README.md, "Credential vault" section (the active and the older key of the example).
  'Hdk63j84Ly2PTotYoe4uHMAyrMo8KYlHTjPL9dHZk7k=',
  '1iTS4mrdk6Dr038MuNfXOtMUYt/WBxNYPWNeNj4BgoM=',
  // All zeros and all 0xff: what people type when "just testing".
  'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
  '//////////////////////////////////////////8=',
];

/** Passwords shown in docs or typed as placeholders; refused for ENCRYPTION_PASSWORD in production. */
export const EXAMPLE_ENCRYPTION_PASSWORDS: readonly string[] = [
  'changeme',
  'change-me',
  'password',
  'secret',
  'bastion',
];

/** A configuration error of the vault keys; the message names the variable, never a value. */
export class VaultKeyConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VaultKeyConfigError';
  }
}

/**
 * A key-encryption key (256-bit AES key) with its id. The key material stays inside a
 * `KeyObject` in a private field: it is never serialized, inspected or logged.
 */
export class Kek {
  readonly #key: KeyObject;

  constructor(
    readonly id: string,
    key: Buffer,
  ) {
    if (key.length !== KEY_BYTES) throw new VaultKeyConfigError(`key ${id} must be 32 bytes`);
    this.#key = createSecretKey(key);
  }

  /** AES-256-GCM under this KEK; returns `<nonce>.<ciphertext||tag>` (base64url). */
  seal(plaintext: Buffer, aad: Buffer): string {
    return aesGcmSeal(this.#key, plaintext, aad);
  }

  /** Inverse of {@link seal}; null when tampered, malformed, or sealed with another key/AAD. */
  open(nonce: string, body: string, aad: Buffer): Buffer | null {
    return aesGcmOpen(this.#key, nonce, body, aad);
  }

  /** True when this KEK's material equals `other` (base64 bytes); for the example-key check. */
  hasMaterial(other: Buffer): boolean {
    return this.#key.equals(createSecretKey(other));
  }

  toJSON(): Record<string, string> {
    return { id: this.id, key: '[redacted]' };
  }

  [inspect.custom](): string {
    return `Kek(${this.id}, [redacted])`;
  }
}

/** Where the keys came from; printed at boot and by `config check`. */
export type KeySource = 'VAULT_KEYS' | 'ENCRYPTION_PASSWORD' | 'generated-file';

/** The configured KEKs: the first is active (new wrapping), the others only unwrap. */
export class Keyring {
  readonly #byId: Map<string, Kek>;

  constructor(
    readonly keks: readonly Kek[],
    readonly source: KeySource,
  ) {
    if (keks.length === 0) throw new VaultKeyConfigError('the keyring is empty');
    this.#byId = new Map(keks.map((k) => [k.id, k]));
  }

  get active(): Kek {
    return this.keks[0];
  }

  /** The KEK with this id, or undefined when it is not configured (any more). */
  get(id: string): Kek | undefined {
    return this.#byId.get(id);
  }

  get ids(): string[] {
    return this.keks.map((k) => k.id);
  }

  toJSON(): Record<string, unknown> {
    return { source: this.source, ids: this.ids };
  }

  [inspect.custom](): string {
    return `Keyring(${this.source}: ${this.ids.join(', ')})`;
  }
}

/** Decodes 32 bytes of standard or URL-safe base64; null for any other length or alphabet. */
export function decodeKeyMaterial(text: string): Buffer | null {
  if (!STD_BASE64.test(text) && !URL_BASE64.test(text)) return null;
  const bytes = Buffer.from(text, STD_BASE64.test(text) ? 'base64' : 'base64url');
  return bytes.length === KEY_BYTES ? bytes : null;
}

/**
 * Parses a keyring `id:base64(32 bytes),id:base64,...` (first is active).
 * @param variable the environment variable name used in error messages (`VAULT_KEYS`).
 * @throws VaultKeyConfigError naming the variable and the entry position or id, never a key.
 */
export function parseKeyring(text: string, variable = 'VAULT_KEYS'): Kek[] {
  const entries = text
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.length === 0) throw new VaultKeyConfigError(`${variable} holds no key`);
  const seen = new Set<string>();
  return entries.map((entry, index) => {
    const position = `entry ${index + 1}`;
    const colon = entry.indexOf(':');
    if (colon < 0) {
      throw new VaultKeyConfigError(
        `${variable}: ${position} is not of the form id:base64key (run \`pnpm cli vault generate-key\`)`,
      );
    }
    const id = entry.slice(0, colon);
    if (!KEY_ID_PATTERN.test(id)) {
      throw new VaultKeyConfigError(
        `${variable}: ${position} has an invalid key id (expected 1-32 characters of a-z, 0-9, _ or -)`,
      );
    }
    if (seen.has(id)) throw new VaultKeyConfigError(`${variable}: key id "${id}" appears twice`);
    seen.add(id);
    const material = decodeKeyMaterial(entry.slice(colon + 1));
    if (!material) {
      throw new VaultKeyConfigError(
        `${variable}: key "${id}" is not exactly 32 bytes of base64 (run \`pnpm cli vault generate-key\`)`,
      );
    }
    return new Kek(id, material);
  });
}

/** True when the KEK's material is one of {@link EXAMPLE_VAULT_KEYS}. */
export function isExampleKey(kek: Kek): boolean {
  return EXAMPLE_VAULT_KEYS.some((text) => {
    const bytes = decodeKeyMaterial(text);
    return bytes !== null && kek.hasMaterial(bytes);
  });
}

/**
 * A new random keyring entry `id:base64(32 bytes)` from the CSPRNG.
 * @param id defaults to `k` + the UTC date and 4 random hex digits, e.g. `k20251129-3fa2`.
 */
export function generateKeyringEntry(id?: string): string {
  const keyId =
    id ??
    `k${new Date().toISOString().slice(0, 10).replaceAll('-', '')}-${randomBytes(2).toString('hex')}`;
  if (!KEY_ID_PATTERN.test(keyId)) throw new VaultKeyConfigError('invalid key id');
  return `${keyId}:${randomBytes(KEY_BYTES).toString('base64')}`;
}
