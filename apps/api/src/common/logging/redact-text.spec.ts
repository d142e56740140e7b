import { describe, expect, it } from 'vitest';
import { redactText } from './redact-text';

describe('redactText', () => {
  it.each([
    ['connect postgres://admin:Canary-1@db:5432/x failed', 'Canary-1'],
    ['password=Canary-2 host=db', 'Canary-2'],
    ['{"password": "Canary-3"}', 'Canary-3'],
    ['Authorization: Bearer Canary-4.abc', 'Canary-4'],
    ["api_key='Canary-5'", 'Canary-5'],
  ])('masks the secret in %s', (input, secret) => {
    const out = redactText(input);
    expect(out).not.toContain(secret);
    expect(out).toContain('[redacted]');
  });

  it('leaves ordinary text alone', () => {
    expect(redactText('relation "people" does not exist')).toBe('relation "people" does not exist');
  });
});
