import type { ModuleRef } from '@nestjs/core';

/**
 * Injection token of the modules that store vault-encrypted secrets (multi-provider: every
 * module that stores secrets provides one under this token, in its own module; the vault finds
 * them all with `ModuleRef.get(..., { strict: false, each: true })`). `vault check` decrypts
 * everything they list. A provider's value may be one source or an array of sources.
 */
export const VAULT_SECRET_SOURCES = Symbol('VAULT_SECRET_SOURCES');

/** One stored secret field of a datasource, as written by `encryptSecret`. */
export interface VaultSecretRef {
  workspaceId: string;
  datasourceId: string;
  field: string;
  /** The stored form `v1.<nonce>.<ciphertext||tag>`. */
  stored: string;
}

export interface VaultSecretSource {
  /** Shown in `vault check` output, e.g. `datasources`. */
  name: string;
  listSecrets(): AsyncIterable<VaultSecretRef>;
}

/**
 * Injection token of the modules that store sealed instance secrets (`sealInstanceSecret`,
 * e.g. TOTP seeds). Multi-provider like {@link VAULT_SECRET_SOURCES}. `vault check` opens them;
 * `vault rotate` re-seals those not under the active KEK through `replaceSealed`.
 */
export const VAULT_INSTANCE_SECRET_STORES = Symbol('VAULT_INSTANCE_SECRET_STORES');

export interface VaultInstanceSecretRef {
  purpose: string;
  id: string;
  /** The sealed form `vk1.<kek id>.<nonce>.<ciphertext||tag>`. */
  sealed: string;
}

export interface VaultInstanceSecretStore {
  name: string;
  listSealed(): AsyncIterable<VaultInstanceSecretRef>;
  /**
   * Replaces `oldSealed` by `newSealed` only if the row still holds `oldSealed` (optimistic);
   * returns true when it did.
   */
  replaceSealed(
    purpose: string,
    id: string,
    oldSealed: string,
    newSealed: string,
  ): Promise<boolean>;
}

/** Every provider registered under `token` in any module, flattened; [] when there is none. */
export function collectProviders<T>(moduleRef: ModuleRef, token: symbol): T[] {
  let found: (T | T[])[];
  try {
    found = moduleRef.get<symbol, T | T[]>(token, { strict: false, each: true });
  } catch {
    // Nest throws when no module provides the token: no sources registered.
    return [];
  }
  return found.flatMap((p) => (Array.isArray(p) ? p : [p]));
}
