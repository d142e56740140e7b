import { describe, expect, it } from 'vitest';
import { ZLoginRequest } from './auth.contract';

describe('ZLoginRequest', () => {
  it('normalises the email so lookups are case-insensitive', () => {
    const parsed = ZLoginRequest.parse({ email: '  Ada@Example.COM ', password: 'x' });
    expect(parsed.email).toBe('ada@example.com');
  });

  it('names the bad field', () => {
    const result = ZLoginRequest.safeParse({ email: 'not-an-email', password: '' });
    expect(result.success).toBe(false);
    const paths = result.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['email', 'password']));
  });
});
