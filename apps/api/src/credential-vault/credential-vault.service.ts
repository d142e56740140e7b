import { Inject, Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { MetadataTransactions } from '../database/metadata-transactions';
import { DataKey } from './data-key';
import { DataKeyCache } from './data-key-cache';
import {
  openInstanceSecret as openInstance,
  sealInstanceSecret as sealInstance,
} from './instance-secret';
import type { Keyring } from './keyring';
import { VaultDataKeyEntity } from './vault-data-key.entity';
import { VaultDataKeyRepository } from './vault-data-key.repository';
import { VaultDecryptionException, VaultErrorCode, VaultException } from './vault.exception';
import { VAULT_KEYRING } from './vault-keyring.provider';

/**
 * The credential vault's public API (envelope encryption, see README.md in this folder).
 * Each datasource has a random 256-bit data key, stored wrapped under the active KEK; each
 * secret field is AES-256-GCM under that data key with AAD = (workspace id, datasource id,
 * field). Invariant: decrypted values leave this service only as return values of
 * `decryptSecret` / `openInstanceSecret`; they are never logged, put in errors or cached.
 */
@Injectable()
export class CredentialVaultService {
  private readonly logger = new Logger('CredentialVault');
  private readonly cache = new DataKeyCache();

  constructor(
    @Inject(VAULT_KEYRING) private readonly keyring: Keyring,
    private readonly dataKeys: VaultDataKeyRepository,
    private readonly transactions: MetadataTransactions,
  ) {}

  /**
   * Creates the random data key of a new datasource, wrapped under the active KEK.
   * @param manager the caller's transaction, so datasource and key commit together.
   * @throws VaultException `data_key_exists` when the datasource already has one.
   */
  async createDataKey(
    workspaceId: string,
    datasourceId: string,
    manager?: EntityManager,
  ): Promise<void> {
    if (await this.dataKeys.exists(datasourceId, manager)) {
      throw new VaultException(
        VaultErrorCode.DataKeyExists,
        'this datasource already has a data key',
      );
    }
    await this.insertNewKey(workspaceId, datasourceId, manager);
  }

  /**
   * Encrypts one secret field value.
   * @param plaintext any string (UTF-8, may be empty); never logged.
   * @param manager optional transaction to read the data key in (one created in it is seen).
   * @returns the stored form `v1.<base64url nonce>.<base64url ciphertext||tag>`.
   * @throws VaultException `data_key_missing` without a data key; VaultDecryptionException
   *   when the data key is unreadable (call `resetDataKey` first).
   */
  async encryptSecret(
    workspaceId: string,
    datasourceId: string,
    field: string,
    plaintext: string,
    manager?: EntityManager,
  ): Promise<string> {
    const key = await this.dataKeyForWrite(workspaceId, datasourceId, manager);
    return key.encryptField(workspaceId, datasourceId, field, plaintext);
  }

  /**
   * Decrypts a stored secret field value.
   * @returns the exact plaintext string that was encrypted.
   * @throws VaultDecryptionException (422, `secret_undecryptable`) when the data key or the
   *   value cannot be decrypted: wrong row or field, tampered, or its key is gone.
   */
  async decryptSecret(
    workspaceId: string,
    datasourceId: string,
    field: string,
    stored: string,
  ): Promise<string> {
    const plain = await this.tryDecrypt(workspaceId, datasourceId, field, stored);
    if (plain === null) {
      this.logger.warn(
        `credential vault: field "${field}" of datasource ${datasourceId} cannot be decrypted`,
      );
      throw new VaultDecryptionException();
    }
    return plain;
  }

  /**
   * Like {@link decryptSecret} but returns null instead of throwing (for `vault check`).
   * Uses a cached data key first; on failure retries once with the row as stored now, since
   * another server may have reset the key since it was cached.
   */
  async tryDecrypt(
    workspaceId: string,
    datasourceId: string,
    field: string,
    stored: string,
  ): Promise<string | null> {
    const cached = this.cache.get(workspaceId, datasourceId);
    if (cached) {
      const plain = cached.key.decryptField(workspaceId, datasourceId, field, stored);
      if (plain !== null) return plain;
    }
    const row = await this.dataKeys.get(workspaceId, datasourceId);
    if (!row || (cached && cached.wrappedKey === row.wrappedKey)) return null;
    const key = this.unwrap(row);
    return key ? key.decryptField(workspaceId, datasourceId, field, stored) : null;
  }

  /**
   * Replaces a datasource's data key by a fresh one without reading the old one, so new
   * secrets can be saved when the old ones are undecryptable. Old secrets become garbage:
   * the caller must overwrite or clear them.
   */
  async resetDataKey(
    workspaceId: string,
    datasourceId: string,
    manager?: EntityManager,
  ): Promise<void> {
    const run = async (m: EntityManager) => {
      await this.dataKeys.delete(workspaceId, datasourceId, m);
      await this.insertNewKey(workspaceId, datasourceId, m);
    };
    this.cache.delete(workspaceId, datasourceId);
    if (manager) await run(manager);
    else await this.transactions.transaction(run);
    this.logger.log(`credential vault: data key of datasource ${datasourceId} was reset`);
  }

  /** Deletes a datasource's data key (its secrets become undecryptable for good). */
  async deleteDataKey(
    workspaceId: string,
    datasourceId: string,
    manager?: EntityManager,
  ): Promise<void> {
    this.cache.delete(workspaceId, datasourceId);
    await this.dataKeys.delete(workspaceId, datasourceId, manager);
  }

  /** True when the datasource's data key exists and unwraps under a configured KEK. */
  async isDataKeyReadable(workspaceId: string, datasourceId: string): Promise<boolean> {
    const row = await this.dataKeys.get(workspaceId, datasourceId);
    if (!row) return false;
    const cached = this.cache.get(workspaceId, datasourceId);
    if (cached && cached.wrappedKey === row.wrappedKey) return true;
    return this.unwrap(row) !== null;
  }

  /**
   * Seals a secret that belongs to no datasource (e.g. a TOTP seed) directly under the active
   * KEK, bound to `purpose` and `id`.
   * @returns `vk1.<kek id>.<nonce>.<ciphertext||tag>`; store it as text. Naming the KEK lets
   *   `vault rotate` re-seal it later when its owner provides a `VaultInstanceSecretStore`.
   */
  sealInstanceSecret(purpose: string, id: string, plaintext: string): string {
    return sealInstance(this.keyring, purpose, id, plaintext);
  }

  /**
   * Opens what {@link sealInstanceSecret} returned for the same purpose and id.
   * @throws VaultException `instance_secret_undecryptable` (422) when it cannot be opened.
   */
  openInstanceSecret(purpose: string, id: string, sealed: string): string {
    const plain = openInstance(this.keyring, purpose, id, sealed);
    if (plain === null) {
      throw new VaultException(
        VaultErrorCode.InstanceSecretUndecryptable,
        'a stored secret can no longer be decrypted; set it up again',
      );
    }
    return plain;
  }

  /** Unwraps a row with the KEK it names (cached on success); null when that fails. */
  unwrap(row: VaultDataKeyEntity): DataKey | null {
    const kek = this.keyring.get(row.kekId);
    const key = kek ? DataKey.unwrap(kek, row.wrappedKey, row.workspaceId, row.datasourceId) : null;
    if (key) this.cache.set(row.workspaceId, row.datasourceId, row.wrappedKey, key);
    return key;
  }

  /** Forgets every cached data key (tests, and after operator commands). */
  clearCache(): void {
    this.cache.clear();
  }

  private async insertNewKey(
    workspaceId: string,
    datasourceId: string,
    manager?: EntityManager,
  ): Promise<void> {
    const key = DataKey.generate();
    const kek = this.keyring.active;
    const wrappedKey = key.wrap(kek, workspaceId, datasourceId);
    await this.dataKeys.insert({ workspaceId, datasourceId, kekId: kek.id, wrappedKey }, manager);
    // Cached now so that `encryptSecret` without the manager finds a key created in a
    // transaction that other connections cannot see yet.
    this.cache.set(workspaceId, datasourceId, wrappedKey, key);
  }

  /**
   * The data key to encrypt with. Always compares with the stored row (one primary-key read):
   * encrypting under a key another server has since reset would lose the secret.
   */
  private async dataKeyForWrite(
    workspaceId: string,
    datasourceId: string,
    manager?: EntityManager,
  ): Promise<DataKey> {
    const row = await this.dataKeys.get(workspaceId, datasourceId, manager);
    const cached = this.cache.get(workspaceId, datasourceId);
    if (!row) {
      if (cached) return cached.key;
      throw new VaultException(VaultErrorCode.DataKeyMissing, 'this datasource has no data key');
    }
    if (cached && cached.wrappedKey === row.wrappedKey) return cached.key;
    const key = this.unwrap(row);
    if (!key) throw new VaultDecryptionException();
    return key;
  }
}

// Re-exported so callers need one import for the vault's public API.
export { VaultDecryptionException, VaultErrorCode, VaultException } from './vault.exception';
export {
  VAULT_INSTANCE_SECRET_STORES,
  VAULT_SECRET_SOURCES,
  type VaultInstanceSecretRef,
  type VaultInstanceSecretStore,
  type VaultSecretRef,
  type VaultSecretSource,
} from './vault-secret-source';
