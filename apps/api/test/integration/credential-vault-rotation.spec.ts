import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { VaultRotationService } from '../../src/credential-vault/vault-rotation.service';
import { WRONG_KEY_MESSAGE } from '../../src/credential-vault/vault-canary.service';
import { VaultCheckService } from '../../src/credential-vault/vault-check.service';
import type { MetadataStore } from '../harness/test-app';
import {
  bootVault,
  newKeyEntry,
  newStore,
  rawSnapshot,
  seedDatasources,
  sql,
  StoreRef,
  unreadable,
  VaultContext,
} from './credential-vault.helpers';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function kekCounts(v: VaultContext): Promise<Record<string, number>> {
  const rows = await sql<{ kek_id: string }>(v.db, 'SELECT kek_id FROM vault_data_keys');
  const out: Record<string, number> = {};
  for (const r of rows) out[r.kek_id] = (out[r.kek_id] ?? 0) + 1;
  return out;
}

describe.each<MetadataStore>(['sqlite', 'postgres'])('vault rotate on %s', (kind) => {
  it('moves every data key, the canary and instance secrets to the new key; a killed run resumes', async () => {
    const ref: StoreRef = await newStore(kind);
    dirs.push(ref.dataDir);
    const oldKey = newKeyEntry('old');
    const newKey = newKeyEntry('new');

    const a = await bootVault(ref, { VAULT_KEYS: oldKey });
    const seeded = await seedDatasources(a, 30);
    for (const user of ['u1', 'u2']) {
      await sql(
        a.db,
        "INSERT INTO vault_test_instance_secrets (purpose, id, sealed) VALUES ('totp', ?, ?)",
        [user, a.vault.sealInstanceSecret('totp', user, `seed-${user}`)],
      );
    }
    await a.close();

    // Servers restart with the new key first and the old one kept.
    const b = await bootVault(ref, { VAULT_KEYS: `${newKey},${oldKey}` });
    const fresh = await seedDatasources(b, 2); // created meanwhile: already under the new key
    const rotation = b.app.get(VaultRotationService);

    // A staged run of 10, then a run "killed" after 15 more (the progress hook throws).
    const partial = await rotation.rotate({ limit: 10, batchSize: 7 });
    expect(partial).toMatchObject({
      rotated: 10,
      complete: false,
      canary: 'not-run',
      pendingAtStart: 30,
    });
    await expect(
      rotation.rotate({
        batchSize: 4,
        progressEvery: 1,
        onProgress: (done) => {
          if (done === 15) throw new Error('killed');
        },
      }),
    ).rejects.toThrow('killed');
    expect(await kekCounts(b)).toEqual({ new: 27, old: 5 });
    // Halfway, everything is readable (the keyring has both keys).
    expect(await unreadable(b, [...seeded, ...fresh])).toEqual([]);
    expect((await b.app.get(VaultCheckService).check()).ok).toBe(true);

    const done = await rotation.rotate();
    expect(done).toMatchObject({
      activeKekId: 'new',
      pendingAtStart: 5,
      rotated: 5,
      failures: [],
      complete: true,
      canary: 'resealed',
      instanceSecrets: { resealed: 2, failures: [] },
    });
    expect(await kekCounts(b)).toEqual({ new: 32 });
    // Idempotent: a re-run finds nothing to do.
    expect(await rotation.rotate()).toMatchObject({
      pendingAtStart: 0,
      rotated: 0,
      canary: 'current',
    });
    await b.close();

    const snap = await rawSnapshot(ref);
    expect(snap.vault_canary).toEqual([expect.objectContaining({ kek_id: 'new' })]);
    for (const row of snap.vault_test_instance_secrets as { sealed: string }[]) {
      expect(row.sealed.startsWith('vk1.new.')).toBe(true);
    }

    // The old key can go: everything reads with the new key alone.
    const c = await bootVault(ref, { VAULT_KEYS: newKey });
    expect(await unreadable(c, [...seeded, ...fresh])).toEqual([]);
    expect(
      c.vault.openInstanceSecret(
        'totp',
        'u1',
        (snap.vault_test_instance_secrets as { sealed: string }[])[0].sealed,
      ),
    ).toBe('seed-u1');
    expect((await c.app.get(VaultCheckService).check()).ok).toBe(true);
    await c.close();

    // And the old key alone is now the wrong key.
    const error = await bootVault(ref, { VAULT_KEYS: oldKey }).catch((e: unknown) => e);
    expect((error as Error).message.startsWith(WRONG_KEY_MESSAGE)).toBe(true);
  });

  it('reports a corrupt data key as a failure and rotates the rest', async () => {
    const ref: StoreRef = await newStore(kind);
    dirs.push(ref.dataDir);
    const oldKey = newKeyEntry('old');
    const a = await bootVault(ref, { VAULT_KEYS: oldKey });
    const seeded = await seedDatasources(a, 4);
    await sql(
      a.db,
      "UPDATE vault_data_keys SET wrapped_key = 'v1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' WHERE datasource_id = ?",
      [seeded[1].datasourceId],
    );
    await a.close();
    const b = await bootVault(ref, { VAULT_KEYS: `${newKeyEntry('new')},${oldKey}` });
    const report = await b.app.get(VaultRotationService).rotate();
    expect(report.rotated).toBe(3);
    expect(report.failures).toEqual([
      expect.objectContaining({ datasourceId: seeded[1].datasourceId, reason: 'unwrap_failed' }),
    ]);
    expect(await unreadable(b, seeded)).toEqual([seeded[1].datasourceId]);
    await b.close();
  });
});
