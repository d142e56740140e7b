import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { instanceSecretKekId, openInstanceSecret, sealInstanceSecret } from './instance-secret';
import { Keyring, parseKeyring } from './keyring';

const a = `a:${randomBytes(32).toString('base64')}`;
const b = `b:${randomBytes(32).toString('base64')}`;

describe('instance secrets', () => {
  it('seal under the active KEK, name it, and open with any configured KEK', () => {
    const old = new Keyring(parseKeyring(a), 'VAULT_KEYS');
    const sealed = sealInstanceSecret(old, 'totp', 'user-1', 'JBSWY3DPEHPK3PXP');
    expect(sealed).toMatch(/^vk1\.a\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(instanceSecretKekId(sealed)).toBe('a');
    const rotated = new Keyring(parseKeyring(`${b},${a}`), 'VAULT_KEYS');
    expect(openInstanceSecret(rotated, 'totp', 'user-1', sealed)).toBe('JBSWY3DPEHPK3PXP');
    expect(instanceSecretKekId(sealInstanceSecret(rotated, 'totp', 'user-1', 'x'))).toBe('b');
    expect(
      openInstanceSecret(new Keyring(parseKeyring(b), 'VAULT_KEYS'), 'totp', 'user-1', sealed),
    ).toBeNull();
  });

  it('are bound to purpose and id', () => {
    const ring = new Keyring(parseKeyring(a), 'VAULT_KEYS');
    const sealed = sealInstanceSecret(ring, 'totp', 'user-1', 'seed');
    expect(openInstanceSecret(ring, 'totp', 'user-2', sealed)).toBeNull();
    expect(openInstanceSecret(ring, 'recovery', 'user-1', sealed)).toBeNull();
    expect(
      openInstanceSecret(ring, 'totp', 'user-1', sealed.replace('vk1.a.', 'vk1.b.')),
    ).toBeNull();
    expect(openInstanceSecret(ring, 'totp', 'user-1', 'garbage')).toBeNull();
  });
});
