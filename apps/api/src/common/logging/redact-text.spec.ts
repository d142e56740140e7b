import { describe, expect, it } from 'vitest';
import { redactText, redactUrl } from './redact-text';

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

describe('redactUrl', () => {
  const token = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-AbCdE';
  it('masks an invitation token in an API or web path', () => {
    expect(redactUrl(`/api/invitations/${token}/accept`)).toBe('/api/invitations/[redacted]');
    expect(redactUrl(`/invite/${token}`)).toBe('/invite/[redacted]');
    expect(redactText(`GET /api/invitations/${token} failed`)).not.toContain(token);
  });

  it('masks every other spelling that reaches the same route or page (breaking session)', () => {
    const rest = token.slice(1);
    for (const url of [
      `/sign-in?next=%2Finvite%2F${token}`,
      `/sign-in?next=%252Finvite%252F${token}`,
      `/api/invitations/%${token.charCodeAt(0).toString(16)}${rest}`,
      `/api/%69nvitations/${token}`,
      `/INVITE/${token}`,
      `/Invite/${token}`,
      `/invite/${token}-`,
      `/api/invitations/${token}x`,
      `/api/invitations/${token.slice(0, 20)}`,
      `/invite/${token}?x=%zz`,
      `/x/y${token}invite`,
    ]) {
      const out = redactUrl(url);
      expect(out, url).not.toContain(token.slice(0, 12));
      expect(out, url).not.toContain(rest.slice(-12));
      expect(out, url).toContain('[redacted');
    }
  });

  it('leaves other URLs alone', () => {
    for (const url of ['/api/workspaces/abc/apps?draft=true', '/assets/app-1234.js', '/%zz']) {
      expect(redactUrl(url)).toBe(url);
    }
  });

  it('keeps invitation ids (UUIDs) readable', () => {
    const url = '/api/workspaces/w/invitations/11111111-1111-4111-8111-111111111111/resend';
    expect(redactUrl(url)).toBe(url);
  });
});
