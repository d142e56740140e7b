import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DataKey } from './data-key';
import { parseKeyring } from './keyring';

const [kek, otherKek] = parseKeyring(
  `a:${randomBytes(32).toString('base64')},b:${randomBytes(32).toString('base64')}`,
);
const WS = '11111111-1111-4111-8111-111111111111';
const DS = '22222222-2222-4222-8222-222222222222';

/** Flips one bit of the decoded bytes of part `part` (1 nonce, 2 body) of a `v1.a.b` string. */
function flipBit(stored: string, part: 1 | 2, byte: number, bit = 0): string {
  const parts = stored.split('.');
  const bytes = Buffer.from(parts[part], 'base64url');
  bytes[byte % bytes.length] ^= 1 << bit;
  parts[part] = bytes.toString('base64url');
  return parts.join('.');
}

const SPECIAL_VALUES = [
  'p@ss:w/rd%23#?&=!',
  `pässwörd-密码-🔑 "q" 'x'`,
  '',
  'x'.repeat(10 * 1024),
  ' leading and trailing spaces ',
  'line\nbreak\ttab\0nul',
];

describe('DataKey secret fields', () => {
  const key = DataKey.generate();

  it.each(SPECIAL_VALUES.map((v) => [JSON.stringify(v).slice(0, 40), v]))(
    'round-trips %s byte for byte',
    (_label, value) => {
      const stored = key.encryptField(WS, DS, 'password', value);
      expect(stored).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
      const back = key.decryptField(WS, DS, 'password', stored);
      expect(back).toBe(value);
      expect(Buffer.from(back!, 'utf8').equals(Buffer.from(value, 'utf8'))).toBe(true);
    },
  );

  it('round-trips any string (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 200 }),
        fc.string({ maxLength: 30 }),
        (value, field) => {
          const stored = key.encryptField(WS, DS, field, value);
          expect(key.decryptField(WS, DS, field, stored)).toBe(value);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('uses a fresh nonce each time', () => {
    const a = key.encryptField(WS, DS, 'password', 'same');
    const b = key.encryptField(WS, DS, 'password', 'same');
    expect(a).not.toBe(b);
    expect(a.split('.')[1]).not.toBe(b.split('.')[1]);
  });

  it('fails when the ciphertext is moved to another field, datasource or workspace', () => {
    const stored = key.encryptField(WS, DS, 'password', 'secret');
    expect(key.decryptField(WS, DS, 'apiKey', stored)).toBeNull();
    expect(
      key.decryptField(WS, '33333333-3333-4333-8333-333333333333', 'password', stored),
    ).toBeNull();
    expect(
      key.decryptField('44444444-4444-4444-8444-444444444444', DS, 'password', stored),
    ).toBeNull();
    expect(DataKey.generate().decryptField(WS, DS, 'password', stored)).toBeNull();
  });

  it('fails on every single flipped bit of nonce, ciphertext and tag', () => {
    const stored = key.encryptField(WS, DS, 'password', 'secret value');
    for (const part of [1, 2] as const) {
      const length = Buffer.from(stored.split('.')[part], 'base64url').length;
      for (let byte = 0; byte < length; byte++) {
        for (let bit = 0; bit < 8; bit++) {
          expect(key.decryptField(WS, DS, 'password', flipBit(stored, part, byte, bit))).toBeNull();
        }
      }
    }
  });

  it('refuses malformed and other-version stored forms', () => {
    const stored = key.encryptField(WS, DS, 'password', 'secret');
    const [, n, b] = stored.split('.');
    for (const bad of [
      '',
      'plain text',
      `v2.${n}.${b}`,
      `${n}.${b}`,
      `v1.${n}`,
      `v1.${n}.${b}.extra`,
      `v1.${n}.${b.slice(0, 10)}`,
      `v1.${n}=.${b}`,
      `v1.${n.slice(0, -1)}.${b}`,
    ]) {
      expect(key.decryptField(WS, DS, 'password', bad)).toBeNull();
    }
  });
});

describe('DataKey wrapping', () => {
  it('unwraps with the same KEK and row, not another KEK or row', () => {
    const key = DataKey.generate();
    const wrapped = key.wrap(kek, WS, DS);
    expect(wrapped).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const stored = key.encryptField(WS, DS, 'password', 'pw');
    expect(DataKey.unwrap(kek, wrapped, WS, DS)?.decryptField(WS, DS, 'password', stored)).toBe(
      'pw',
    );
    expect(DataKey.unwrap(otherKek, wrapped, WS, DS)).toBeNull();
    expect(DataKey.unwrap(kek, wrapped, WS, '33333333-3333-4333-8333-333333333333')).toBeNull();
    expect(DataKey.unwrap(kek, wrapped, '44444444-4444-4444-8444-444444444444', DS)).toBeNull();
    expect(DataKey.unwrap(kek, flipBit(wrapped, 2, 5), WS, DS)).toBeNull();
  });

  it('never shows the key in JSON or inspect', () => {
    const key = DataKey.generate();
    expect(JSON.stringify({ key })).toBe('{"key":"[redacted data key]"}');
    expect(inspect(key, { showHidden: true, depth: 5 })).toBe('DataKey([redacted])');
  });
});
