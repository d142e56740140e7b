import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VaultDecryptionException } from '../../src/credential-vault/credential-vault.service';
import { VaultCheckService } from '../../src/credential-vault/vault-check.service';
import { createTestApp } from '../harness/test-app';
import type { MetadataStore } from '../harness/test-app';
import {
  bootVault,
  FIELDS,
  newKeyEntry,
  newStore,
  seedDatasources,
  sql,
  storedSecret,
  storeSecret,
  StoreRef,
  unreadable,
  VaultContext,
} from './credential-vault.helpers';

const SPECIAL = ['p@ss:w/rd%23#?&=!', `pässwörd-密码-🔑 "q" 'x'`, '', 'x'.repeat(10 * 1024)];

/** Flips the lowest bit of byte `byte` of the ciphertext part of `v1.nonce.body`. */
function flipBit(stored: string, byte = 3): string {
  const [v, n, b] = stored.split('.');
  const bytes = Buffer.from(b, 'base64url');
  bytes[byte] ^= 1;
  return `${v}.${n}.${bytes.toString('base64url')}`;
}

describe.each<MetadataStore>(['sqlite', 'postgres'])('credential vault on %s', (store) => {
  let ref: StoreRef;
  let v: VaultContext;
  const keys = { VAULT_KEYS: newKeyEntry('k1') };

  beforeAll(async () => {
    ref = await newStore(store);
    v = await bootVault(ref, keys);
  });
  afterAll(async () => {
    await v?.close();
    rmSync(ref.dataDir, { recursive: true, force: true });
  });

  it('round-trips every field of every datasource, across a restart', async () => {
    const seeded = await seedDatasources(v, 6);
    expect(await unreadable(v, seeded)).toEqual([]);
    await v.close();
    v = await bootVault(ref, keys);
    expect(await unreadable(v, seeded)).toEqual([]);
    const stored = await storedSecret(v, seeded[0].datasourceId, 'password');
    expect(stored).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
  });

  it('round-trips special characters, multi-byte text, empty and 10 KB values byte for byte', async () => {
    const [d] = await seedDatasources(v, 1);
    for (const [i, value] of SPECIAL.entries()) {
      await storeSecret(v, d, `special${i}`, value);
    }
    v.vault.clearCache();
    for (const [i, value] of SPECIAL.entries()) {
      const back = await v.vault.decryptSecret(
        d.workspaceId,
        d.datasourceId,
        `special${i}`,
        await storedSecret(v, d.datasourceId, `special${i}`),
      );
      expect(Buffer.from(back, 'utf8').equals(Buffer.from(value, 'utf8'))).toBe(true);
    }
  });

  it('refuses a ciphertext moved to another datasource or field, and a flipped bit', async () => {
    const [a, b] = await seedDatasources(v, 2);
    const stored = await storedSecret(v, a.datasourceId, 'password');
    // Thunks, so no rejection is left unobserved while an earlier one is awaited.
    const attempts = [
      () => v.vault.decryptSecret(b.workspaceId, b.datasourceId, 'password', stored),
      () => v.vault.decryptSecret(a.workspaceId, a.datasourceId, 'apiKey', stored),
      () => v.vault.decryptSecret(a.workspaceId, a.datasourceId, 'password', flipBit(stored)),
    ];
    for (const attempt of attempts) {
      const error = await attempt().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(VaultDecryptionException);
      expect(error).toMatchObject({ status: 422, code: 'secret_undecryptable' });
      expect((error as Error).message).toBe(
        'stored credentials can no longer be decrypted; re-enter them',
      );
      expect(JSON.stringify(error) + String(error)).not.toContain(a.values.password);
    }
  });

  it('creates a data key inside the caller transaction (rolled back with it)', async () => {
    const ws = randomUUID();
    const kept = randomUUID();
    const dropped = randomUUID();
    await v.db.transaction(async (m) => {
      await v.vault.createDataKey(ws, kept, m);
      const stored = await v.vault.encryptSecret(ws, kept, 'password', 'in-tx', m);
      expect(await v.vault.decryptSecret(ws, kept, 'password', stored)).toBe('in-tx');
    });
    await v.db
      .transaction(async (m) => {
        await v.vault.createDataKey(ws, dropped, m);
        throw new Error('rollback');
      })
      .catch(() => undefined);
    v.vault.clearCache();
    expect(await v.vault.isDataKeyReadable(ws, kept)).toBe(true);
    expect(await v.vault.isDataKeyReadable(ws, dropped)).toBe(false);
  });

  it('a corrupt data key makes only its datasource unreadable; the server still boots; reset recovers', async () => {
    const seeded = await seedDatasources(v, 3);
    const [bad, ...good] = seeded;
    // Tamper: give `bad` the wrapped key of another row (valid format, wrong AAD).
    const [other] = await sql<{ wrapped_key: string }>(
      v.db,
      'SELECT wrapped_key FROM vault_data_keys WHERE datasource_id = ?',
      [good[0].datasourceId],
    );
    await sql(v.db, 'UPDATE vault_data_keys SET wrapped_key = ? WHERE datasource_id = ?', [
      other.wrapped_key,
      bad.datasourceId,
    ]);
    await v.close();
    v = await bootVault(ref, keys);

    expect(await v.vault.isDataKeyReadable(bad.workspaceId, bad.datasourceId)).toBe(false);
    for (const d of good)
      expect(await v.vault.isDataKeyReadable(d.workspaceId, d.datasourceId)).toBe(true);
    expect(await unreadable(v, seeded)).toEqual([bad.datasourceId]);
    const check = await v.app.get(VaultCheckService).check();
    expect(check.ok).toBe(false);
    expect(check.dataKeys.failures.map((f) => f.datasourceId)).toEqual([bad.datasourceId]);
    expect(new Set(check.secrets.failures.map((f) => f.datasourceId))).toEqual(
      new Set([bad.datasourceId]),
    );

    // Saving new credentials works without decrypting the old ones.
    await v.vault.resetDataKey(bad.workspaceId, bad.datasourceId);
    for (const field of FIELDS) {
      bad.values[field] = `re-entered-${field}`;
      await storeSecret(v, bad, field, bad.values[field]);
    }
    expect(await unreadable(v, seeded)).toEqual([]);
    expect((await v.app.get(VaultCheckService).check()).ok).toBe(true);
  });

  it('deleteDataKey makes that datasource unreadable', async () => {
    const [d] = await seedDatasources(v, 1);
    await v.vault.deleteDataKey(d.workspaceId, d.datasourceId);
    expect(await v.vault.isDataKeyReadable(d.workspaceId, d.datasourceId)).toBe(false);
    expect(await unreadable(v, [d])).toEqual([d.datasourceId]);
    await sql(v.db, 'DELETE FROM vault_test_secrets WHERE datasource_id = ?', [d.datasourceId]);
  });
});

describe.each<MetadataStore>(['sqlite', 'postgres'])('vault secrets never leak on %s', (store) => {
  it('reports vault ok in /api/health; planted canaries appear in no log line and no database row', async () => {
    const t = await createTestApp({ store });
    try {
      const health = await t.app.inject({ method: 'GET', url: '/api/health' });
      expect(health.json().vault).toBe('ok');

      const { CredentialVaultService } = await import(
        '../../src/credential-vault/credential-vault.service'
      );
      const vault = t.app.get(CredentialVaultService);
      const canaries = FIELDS.map((f) => `Canary-VAULT-${f}-${randomUUID()}`);
      const ws = randomUUID();
      const ds = randomUUID();
      await vault.createDataKey(ws, ds);
      const stored: string[] = [];
      for (const [i, field] of FIELDS.entries()) {
        stored.push(await vault.encryptSecret(ws, ds, field, canaries[i]));
        expect(await vault.decryptSecret(ws, ds, field, stored[i])).toBe(canaries[i]);
      }
      // Failures log a warning: it must not carry the value either.
      await vault.decryptSecret(ws, ds, 'other', stored[0]).catch(() => undefined);
      const sealed = vault.sealInstanceSecret('totp', 'user-1', canaries[0]);
      expect(vault.openInstanceSecret('totp', 'user-1', sealed)).toBe(canaries[0]);
      // Store the ciphertexts as the datasources module would, then scan the whole store.
      await t.app
        .get((await import('typeorm')).DataSource)
        .query('CREATE TABLE scan_secrets (stored text)');
      const db = t.app.get((await import('typeorm')).DataSource);
      for (const s of [...stored, sealed])
        await sql(db, 'INSERT INTO scan_secrets (stored) VALUES (?)', [s]);

      expect(t.logs.length).toBeGreaterThan(0);
      for (const c of canaries) {
        expect(t.logs.filter((l) => l.includes(c))).toEqual([]);
        expect(t.logs.filter((l) => l.includes('Canary-VAULT'))).toEqual([]);
      }
      let dump: string;
      if (store === 'postgres') {
        const client = new Client({ connectionString: t.databaseUrl });
        await client.connect();
        const tables = await client.query<{ tablename: string }>(
          "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
        );
        const parts: string[] = [];
        for (const { tablename } of tables.rows) {
          const rows = await client.query(`SELECT t::text AS r FROM "${tablename}" t`);
          parts.push(...rows.rows.map((r: { r: string }) => r.r));
        }
        await client.end();
        dump = parts.join('\n');
        expect(dump).toContain(stored[0]);
      } else {
        await db.query('PRAGMA wal_checkpoint(FULL)');
        dump = readdirSync(t.config.dataDir)
          .filter((f) => f.startsWith('bastion.sqlite'))
          .map((f) => readFileSync(join(t.config.dataDir, f)).toString('latin1'))
          .join('\n');
        expect(dump).toContain(stored[0]);
      }
      expect(dump).not.toContain('Canary-VAULT');
      // The generated key file is the only place the key is, never the database or logs.
      const keyFile = readFileSync(join(t.config.dataDir, 'vault.key'), 'utf8').trim();
      const keyMaterial = keyFile.split(':')[1];
      expect(dump).not.toContain(keyMaterial);
      expect(t.logs.filter((l) => l.includes(keyMaterial))).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
