import { randomBytes, randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { describe, expect, it } from 'vitest';
import type { MetadataTransactions } from '../database/metadata-transactions';
import { CredentialVaultService } from './credential-vault.service';
import { Keyring, parseKeyring } from './keyring';
import type { VaultDataKeyEntity } from './vault-data-key.entity';
import type { VaultDataKeyRepository } from './vault-data-key.repository';
import { VaultDecryptionException, VaultErrorCode, VaultException } from './vault.exception';

/** An in-memory stand-in for `vault_data_keys`, shared by several "servers". */
class FakeDataKeyRepository {
  rows = new Map<string, VaultDataKeyEntity>();

  get(workspaceId: string, datasourceId: string): Promise<VaultDataKeyEntity | null> {
    const row = this.rows.get(datasourceId);
    return Promise.resolve(
      row && row.workspaceId === workspaceId ? ({ ...row } as VaultDataKeyEntity) : null,
    );
  }
  exists(datasourceId: string): Promise<boolean> {
    return Promise.resolve(this.rows.has(datasourceId));
  }
  insert(
    row: Pick<VaultDataKeyEntity, 'workspaceId' | 'datasourceId' | 'kekId' | 'wrappedKey'>,
  ): Promise<void> {
    if (this.rows.has(row.datasourceId)) return Promise.reject(new Error('duplicate key'));
    this.rows.set(row.datasourceId, {
      ...row,
      createdAt: new Date(),
      updatedAt: new Date(),
    } as VaultDataKeyEntity);
    return Promise.resolve();
  }
  delete(workspaceId: string, datasourceId: string): Promise<boolean> {
    const row = this.rows.get(datasourceId);
    if (!row || row.workspaceId !== workspaceId) return Promise.resolve(false);
    return Promise.resolve(this.rows.delete(datasourceId));
  }
}

const keyring = new Keyring(parseKeyring(`a:${randomBytes(32).toString('base64')}`), 'VAULT_KEYS');
const fakeTransactions = {
  transaction: (fn: (m: EntityManager) => Promise<void>) => fn({} as EntityManager),
} as unknown as MetadataTransactions;

function server(repo: FakeDataKeyRepository): CredentialVaultService {
  return new CredentialVaultService(
    keyring,
    repo as unknown as VaultDataKeyRepository,
    fakeTransactions,
  );
}

describe('CredentialVaultService (fake repository)', () => {
  const ws = randomUUID();

  it('round-trips and refuses a second data key for a datasource', async () => {
    const repo = new FakeDataKeyRepository();
    const vault = server(repo);
    const ds = randomUUID();
    await vault.createDataKey(ws, ds);
    const stored = await vault.encryptSecret(ws, ds, 'password', 'pw');
    expect(await vault.decryptSecret(ws, ds, 'password', stored)).toBe('pw');
    await expect(vault.createDataKey(ws, ds)).rejects.toMatchObject({
      code: VaultErrorCode.DataKeyExists,
    });
  });

  it('refuses to encrypt for a datasource without a data key', async () => {
    const vault = server(new FakeDataKeyRepository());
    await expect(vault.encryptSecret(ws, randomUUID(), 'password', 'x')).rejects.toBeInstanceOf(
      VaultException,
    );
  });

  it('notices a reset made by another server instead of encrypting under a stale cached key', async () => {
    const repo = new FakeDataKeyRepository();
    const one = server(repo);
    const two = server(repo);
    const ds = randomUUID();
    await one.createDataKey(ws, ds);
    const old = await one.encryptSecret(ws, ds, 'password', 'old');
    expect(await two.decryptSecret(ws, ds, 'password', old)).toBe('old'); // two caches the key
    await one.resetDataKey(ws, ds);
    const fresh = await two.encryptSecret(ws, ds, 'password', 'new'); // must use the new key
    expect(await one.decryptSecret(ws, ds, 'password', fresh)).toBe('new');
    expect(await two.decryptSecret(ws, ds, 'password', fresh)).toBe('new');
    await expect(one.decryptSecret(ws, ds, 'password', old)).rejects.toBeInstanceOf(
      VaultDecryptionException,
    );
  });

  it('decrypts with a stale cache by re-reading the row', async () => {
    const repo = new FakeDataKeyRepository();
    const one = server(repo);
    const two = server(repo);
    const ds = randomUUID();
    await one.createDataKey(ws, ds);
    await two.decryptSecret(ws, ds, 'f', await one.encryptSecret(ws, ds, 'f', 'a')); // cached
    await one.resetDataKey(ws, ds);
    expect(await two.decryptSecret(ws, ds, 'f', await one.encryptSecret(ws, ds, 'f', 'b'))).toBe(
      'b',
    );
  });

  it('reports an unreadable data key and recovers with resetDataKey', async () => {
    const repo = new FakeDataKeyRepository();
    const vault = server(repo);
    const ds = randomUUID();
    await vault.createDataKey(ws, ds);
    repo.rows.get(ds)!.wrappedKey =
      'v1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    vault.clearCache();
    expect(await vault.isDataKeyReadable(ws, ds)).toBe(false);
    await expect(vault.encryptSecret(ws, ds, 'password', 'x')).rejects.toBeInstanceOf(
      VaultDecryptionException,
    );
    await vault.resetDataKey(ws, ds);
    expect(await vault.isDataKeyReadable(ws, ds)).toBe(true);
    const stored = await vault.encryptSecret(ws, ds, 'password', 'new');
    expect(await vault.decryptSecret(ws, ds, 'password', stored)).toBe('new');
  });

  it('keeps tenancy: another workspace cannot read the data key', async () => {
    const repo = new FakeDataKeyRepository();
    const vault = server(repo);
    const ds = randomUUID();
    await vault.createDataKey(ws, ds);
    const stored = await vault.encryptSecret(ws, ds, 'password', 'pw');
    vault.clearCache();
    expect(await vault.isDataKeyReadable(randomUUID(), ds)).toBe(false);
    await expect(vault.decryptSecret(randomUUID(), ds, 'password', stored)).rejects.toBeInstanceOf(
      VaultDecryptionException,
    );
  });

  it('puts no plaintext in the exception', async () => {
    const repo = new FakeDataKeyRepository();
    const vault = server(repo);
    const ds = randomUUID();
    await vault.createDataKey(ws, ds);
    const stored = await vault.encryptSecret(ws, ds, 'password', 'Canary-VAULT-exception');
    const error = await vault.decryptSecret(ws, ds, 'apiKey', stored).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VaultDecryptionException);
    const text = `${String(error)} ${JSON.stringify(error)} ${(error as Error).stack}`;
    expect(text).not.toContain('Canary-VAULT-exception');
    expect(text).not.toContain(stored);
  });

  it('seals and opens instance secrets; a wrong id throws a 422 without the value', () => {
    const vault = server(new FakeDataKeyRepository());
    const sealed = vault.sealInstanceSecret('totp', 'user-1', 'SEED');
    expect(vault.openInstanceSecret('totp', 'user-1', sealed)).toBe('SEED');
    expect(() => vault.openInstanceSecret('totp', 'user-2', sealed)).toThrow(
      expect.objectContaining({ status: 422, code: 'instance_secret_undecryptable' }),
    );
  });
});
