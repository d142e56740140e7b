import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadAppConfig } from '../config/app-config';
import { aadOf } from './aead';
import { EXAMPLE_VAULT_KEYS } from './keyring';
import { GENERATED_KEY_FILE, loadKeyring, SCRYPT_KEK_ID } from './keyring-loader';
import { VaultStartupError } from './vault.exception';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vault-loader-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function config(env: Record<string, string>) {
  return loadAppConfig({ NODE_ENV: 'test', DATA_DIR: tempDir(), ...env });
}

function memoryLog() {
  const lines: string[] = [];
  return { lines, log: (m: string) => lines.push(m), warn: (m: string) => lines.push(`WARN ${m}`) };
}

describe('loadKeyring', () => {
  it('uses VAULT_KEYS when set', async () => {
    const ring = await loadKeyring(
      config({ VAULT_KEYS: `a:${randomBytes(32).toString('base64')}` }),
      memoryLog(),
    );
    expect(ring.source).toBe('VAULT_KEYS');
    expect(ring.active.id).toBe('a');
  });

  it('derives the same scrypt key from the same password and salt (once per boot)', async () => {
    const env = { ENCRYPTION_PASSWORD: 'correct horse battery staple', ENCRYPTION_SALT: 'salt-1' };
    const one = await loadKeyring(config(env), memoryLog());
    const two = await loadKeyring(config(env), memoryLog());
    const other = await loadKeyring(config({ ...env, ENCRYPTION_SALT: 'salt-2' }), memoryLog());
    expect(one.active.id).toBe(SCRYPT_KEK_ID);
    const [n, b] = one.active.seal(Buffer.from('x'), aadOf('t')).split('.');
    expect(two.active.open(n, b, aadOf('t'))?.toString()).toBe('x');
    expect(other.active.open(n, b, aadOf('t'))).toBeNull();
  });

  it('appends the scrypt key as an older key when VAULT_KEYS and a password are both set', async () => {
    const ring = await loadKeyring(
      config({
        VAULT_KEYS: `new:${randomBytes(32).toString('base64')}`,
        ENCRYPTION_PASSWORD: 'a long enough password',
        ENCRYPTION_SALT: 'salt',
      }),
      memoryLog(),
    );
    expect(ring.ids).toEqual(['new', SCRYPT_KEK_ID]);
  });

  it('generates a key file with mode 0600 outside production, logs its path, and reuses it', async () => {
    const dataDir = tempDir();
    const cfg = loadAppConfig({ NODE_ENV: 'development', DATA_DIR: dataDir });
    const log = memoryLog();
    const first = await loadKeyring(cfg, log);
    const path = join(dataDir, GENERATED_KEY_FILE);
    const content = readFileSync(path, 'utf8');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(content).toMatch(/^local-[0-9a-f]{6}:[A-Za-z0-9+/]{43}=\n$/);
    expect(first.source).toBe('generated-file');
    expect(log.lines.join('\n')).toContain(path);
    expect(log.lines.join('\n')).not.toContain(content.trim().split(':')[1]);

    const second = await loadKeyring(cfg, memoryLog());
    expect(readFileSync(path, 'utf8')).toBe(content);
    expect(second.active.id).toBe(first.active.id);
    const [n, b] = first.active.seal(Buffer.from('same key'), aadOf('t')).split('.');
    expect(second.active.open(n, b, aadOf('t'))?.toString()).toBe('same key');
  });

  it('tightens a key file that others can read', async () => {
    const dataDir = tempDir();
    const path = join(dataDir, GENERATED_KEY_FILE);
    writeFileSync(path, `local-abc:${randomBytes(32).toString('base64')}\n`, { mode: 0o644 });
    const log = memoryLog();
    await loadKeyring(loadAppConfig({ DATA_DIR: dataDir }), log);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(log.lines.some((l) => l.startsWith('WARN') && l.includes('0600'))).toBe(true);
  });

  it('refuses to start in production without a key, naming the variable and the fix', async () => {
    const dataDir = tempDir();
    const run = loadKeyring(
      loadAppConfig({ NODE_ENV: 'production', DATA_DIR: dataDir }),
      memoryLog(),
    );
    await expect(run).rejects.toBeInstanceOf(VaultStartupError);
    await expect(run).rejects.toThrow(/VAULT_KEYS is not set.*vault generate-key/);
    expect(() => statSync(join(dataDir, GENERATED_KEY_FILE))).toThrow();
  });

  it('refuses an example key from the docs in production, and only warns in development', async () => {
    const example = `docs:${EXAMPLE_VAULT_KEYS[0]}`;
    const run = loadKeyring(config({ NODE_ENV: 'production', VAULT_KEYS: example }), memoryLog());
    await expect(run).rejects.toThrow(/VAULT_KEYS: the active key "docs" is an example key/);
    await expect(run).rejects.not.toThrow(EXAMPLE_VAULT_KEYS[0]);
    const log = memoryLog();
    await loadKeyring(config({ VAULT_KEYS: example }), log);
    expect(log.lines.some((l) => l.startsWith('WARN') && l.includes('example key'))).toBe(true);
  });

  it('accepts an example key as an older key in production (to rotate away from it)', async () => {
    const ring = await loadKeyring(
      config({
        NODE_ENV: 'production',
        VAULT_KEYS: `new:${randomBytes(32).toString('base64')},docs:${EXAMPLE_VAULT_KEYS[0]}`,
      }),
      memoryLog(),
    );
    expect(ring.ids).toEqual(['new', 'docs']);
  });

  it('refuses a placeholder ENCRYPTION_PASSWORD in production', async () => {
    await expect(
      loadKeyring(
        config({ NODE_ENV: 'production', ENCRYPTION_PASSWORD: 'changeme', ENCRYPTION_SALT: 's' }),
        memoryLog(),
      ),
    ).rejects.toThrow(/ENCRYPTION_PASSWORD is a placeholder/);
  });
});
