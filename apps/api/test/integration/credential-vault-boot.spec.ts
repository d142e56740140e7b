import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXAMPLE_VAULT_KEYS } from '../../src/credential-vault/keyring';
import { WRONG_KEY_MESSAGE } from '../../src/credential-vault/vault-canary.service';
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
} from './credential-vault.helpers';

const apiDir = resolve(__dirname, '../..');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function store(kind: MetadataStore): Promise<StoreRef> {
  const ref = await newStore(kind);
  dirs.push(ref.dataDir);
  return ref;
}

describe.each<MetadataStore>(['sqlite', 'postgres'])('vault boot checks on %s', (kind) => {
  it('a wrong key stops the server with the message, names no key, and changes nothing', async () => {
    const ref = await store(kind);
    const keyA = newKeyEntry('ka');
    const keyB = newKeyEntry('kb');
    const v = await bootVault(ref, { VAULT_KEYS: keyA });
    const seeded = await seedDatasources(v, 2);
    await sql(
      v.db,
      "INSERT INTO vault_test_instance_secrets (purpose, id, sealed) VALUES ('totp', 'u1', ?)",
      [v.vault.sealInstanceSecret('totp', 'u1', 'seed')],
    );
    await v.close();
    const before = await rawSnapshot(ref);

    for (const wrong of [keyB, newKeyEntry('ka')]) {
      const error = await bootVault(ref, { VAULT_KEYS: wrong }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      const message = (error as Error).message;
      expect(message.startsWith(WRONG_KEY_MESSAGE)).toBe(true);
      expect(message).toContain('vault rotate');
      for (const entry of [keyA, keyB, wrong]) expect(message).not.toContain(entry.split(':')[1]);
    }
    expect(await rawSnapshot(ref)).toEqual(before);

    // The right key still reads everything; so does a keyring that holds it as an older key.
    for (const keys of [keyA, `${keyB},${keyA}`]) {
      const again = await bootVault(ref, { VAULT_KEYS: keys });
      expect(await unreadable(again, seeded)).toEqual([]);
      await again.close();
    }
  });

  it('refuses to seal a new canary when existing data keys do not open with the key', async () => {
    const ref = await store(kind);
    const keyA = newKeyEntry('ka');
    const v = await bootVault(ref, { VAULT_KEYS: keyA });
    await seedDatasources(v, 1);
    await sql(v.db, 'DELETE FROM vault_canary');
    await v.close();
    const error = await bootVault(ref, { VAULT_KEYS: newKeyEntry('kb') }).catch((e: unknown) => e);
    expect((error as Error).message.startsWith(WRONG_KEY_MESSAGE)).toBe(true);
    expect((await rawSnapshot(ref)).vault_canary).toEqual([]);
  });

  it('refuses to start in production without a key, or with an example key from the docs', async () => {
    // Separate stores: a refused boot leaves its migrations running in the background.
    const noKey = await bootVault(await store(kind), { NODE_ENV: 'production' }).catch(
      (e: unknown) => e,
    );
    expect((noKey as Error).message).toMatch(
      /VAULT_KEYS is not set and NODE_ENV=production.*vault generate-key/,
    );
    const example = await bootVault(await store(kind), {
      NODE_ENV: 'production',
      VAULT_KEYS: `docs:${EXAMPLE_VAULT_KEYS[0]}`,
    }).catch((e: unknown) => e);
    expect((example as Error).message).toMatch(
      /VAULT_KEYS: the active key "docs" is an example key/,
    );
    expect((example as Error).message).not.toContain(EXAMPLE_VAULT_KEYS[0]);
  });

  it('generates a key file (mode 0600) on first start outside production and reuses it', async () => {
    const ref = await store(kind);
    const logs: string[] = [];
    const first = await bootVault(ref, {}, logs);
    const seeded = await seedDatasources(first, 2);
    await first.close();
    const path = join(ref.dataDir, 'vault.key');
    const content = readFileSync(path, 'utf8');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(content).toMatch(/^local-[0-9a-f]{6}:[A-Za-z0-9+/]{43}=\n$/);
    expect(logs.some((l) => l.includes(path))).toBe(true);
    expect(logs.some((l) => l.includes(content.trim().split(':')[1]))).toBe(false);

    const second = await bootVault(ref, {});
    expect(readFileSync(path, 'utf8')).toBe(content);
    expect(await unreadable(second, seeded)).toEqual([]);
    await second.close();
  });
});

describe('server process with a wrong key', () => {
  it('exits 1 and prints the wrong-key message', async () => {
    const ref = await store('sqlite');
    const v = await bootVault(ref, { VAULT_KEYS: newKeyEntry('ka') });
    await v.close();
    const wrong = newKeyEntry('kb');
    const res = spawnSync(process.execPath, ['-r', '@swc-node/register', 'src/main.ts'], {
      cwd: apiDir,
      env: {
        PATH: process.env.PATH,
        DATA_DIR: ref.dataDir,
        VAULT_KEYS: wrong,
        PORT: '0',
        LOG_LEVEL: 'warn',
      },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(res.status).toBe(1);
    expect(res.stderr).toContain(`Bastion failed to start: ${WRONG_KEY_MESSAGE}`);
    expect(res.stderr + res.stdout).not.toContain(wrong.split(':')[1]);
  });
});
