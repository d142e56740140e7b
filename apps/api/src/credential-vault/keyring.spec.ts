import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { aadOf } from './aead';
import {
  EXAMPLE_VAULT_KEYS,
  generateKeyringEntry,
  isExampleKey,
  Keyring,
  parseKeyring,
  VaultKeyConfigError,
} from './keyring';

const keyA = randomBytes(32).toString('base64');
const keyB = randomBytes(32).toString('base64url');

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

describe('parseKeyring', () => {
  it('parses id:base64 entries, first active, standard and URL-safe base64', () => {
    const keks = parseKeyring(` new:${keyA} , old_1:${keyB}`);
    const ring = new Keyring(keks, 'VAULT_KEYS');
    expect(ring.active.id).toBe('new');
    expect(ring.ids).toEqual(['new', 'old_1']);
    expect(ring.get('old_1')).toBe(keks[1]);
    expect(ring.get('missing')).toBeUndefined();
  });

  it.each([
    ['no colon', keyA, /entry 1 is not of the form id:base64key/],
    ['bad id', `Bad.Id:${keyA}`, /entry 1 has an invalid key id/],
    ['id too long', `${'a'.repeat(33)}:${keyA}`, /invalid key id/],
    ['duplicate id', `a:${keyA},a:${keyA}`, /key id "a" appears twice/],
    ['16-byte key', `a:${randomBytes(16).toString('base64')}`, /not exactly 32 bytes/],
    ['33-byte key', `a:${randomBytes(33).toString('base64')}`, /not exactly 32 bytes/],
    ['not base64', `a:${'!'.repeat(44)}`, /not exactly 32 bytes/],
    ['empty', ' , ', /holds no key/],
  ])('refuses %s, naming VAULT_KEYS and never the value', (_name, text, pattern) => {
    const error = errorOf(() => parseKeyring(text));
    expect(error).toBeInstanceOf(VaultKeyConfigError);
    expect(error.message).toMatch(pattern);
    expect(error.message).toContain('VAULT_KEYS');
    const secretPart = text.split(':').pop()!;
    if (secretPart.length > 8) expect(error.message).not.toContain(secretPart);
  });
});

describe('Kek', () => {
  it('seals and opens; another key or AAD fails', () => {
    const [a, b] = parseKeyring(`a:${keyA},b:${keyB}`);
    const sealed = a.seal(Buffer.from('hello'), aadOf('x'));
    const [nonce, body] = sealed.split('.');
    expect(a.open(nonce, body, aadOf('x'))?.toString()).toBe('hello');
    expect(a.open(nonce, body, aadOf('y'))).toBeNull();
    expect(b.open(nonce, body, aadOf('x'))).toBeNull();
  });

  it('never shows its material in JSON, inspect or string form', () => {
    const ring = new Keyring(parseKeyring(`a:${keyA}`), 'VAULT_KEYS');
    const raw = Buffer.from(keyA, 'base64');
    for (const text of [
      JSON.stringify(ring),
      JSON.stringify(ring.active),
      inspect(ring, { depth: 10, showHidden: true }),
      inspect(ring.active, { depth: 10, showHidden: true }),
    ]) {
      expect(text).not.toContain(keyA);
      expect(text).not.toContain(raw.toString('hex'));
      expect(text).not.toContain(raw.toString('base64url'));
    }
    expect(JSON.stringify(ring.active)).toContain('[redacted]');
  });
});

describe('example keys', () => {
  it('recognises every listed example key, whatever its id', () => {
    for (const material of EXAMPLE_VAULT_KEYS) {
      expect(isExampleKey(parseKeyring(`docs:${material}`)[0])).toBe(true);
    }
    expect(isExampleKey(parseKeyring(`a:${keyA}`)[0])).toBe(false);
  });

  it('lists only well-formed 32-byte keys', () => {
    for (const material of EXAMPLE_VAULT_KEYS)
      expect(Buffer.from(material, 'base64')).toHaveLength(32);
  });
});

describe('generateKeyringEntry', () => {
  it('makes a parseable entry with a fresh random key each time', () => {
    const one = generateKeyringEntry();
    const two = generateKeyringEntry('prod-2026');
    expect(one).toMatch(/^k\d{8}-[0-9a-f]{4}:[A-Za-z0-9+/]{43}=$/);
    expect(two.startsWith('prod-2026:')).toBe(true);
    expect(parseKeyring(`${one},${two}`)).toHaveLength(2);
    expect(one.split(':')[1]).not.toBe(generateKeyringEntry().split(':')[1]);
  });
});
