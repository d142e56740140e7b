import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TestApp } from '../harness/test-app';
import { testEmail, testPassword } from '../harness/auth-fixtures';

const ALLOWED = 'https://app.example.test';
const OTHER = 'https://evil.example.test';

const preflight = (t: TestApp, origin: string) =>
  t.app.inject({
    method: 'OPTIONS',
    url: '/api/workspaces',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type, x-csrf-token',
    },
  });

describe('CORS (CORS_ORIGINS)', () => {
  let closed: TestApp;
  let listed: TestApp;
  let any: TestApp;
  beforeAll(async () => {
    [closed, listed, any] = await Promise.all([
      createTestApp(),
      createTestApp({ env: { CORS_ORIGINS: `${ALLOWED},https://b.example.test:8443` } }),
      createTestApp({ env: { CORS_ORIGINS: '*' } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([closed?.close(), listed?.close(), any?.close()]);
  });

  it('unset: same-origin only, no CORS header for any origin, preflights not answered', async () => {
    const res = await closed.app.inject({ url: '/api/health', headers: { origin: ALLOWED } });
    expect(Object.keys(res.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    const pre = await preflight(closed, ALLOWED);
    expect(pre.statusCode).not.toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('a listed origin is echoed with credentials; preflight allows the CSRF header', async () => {
    const res = await listed.app.inject({ url: '/api/health', headers: { origin: ALLOWED } });
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(String(res.headers.vary)).toMatch(/Origin/);
    const pre = await preflight(listed, ALLOWED);
    expect(pre.statusCode).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(String(pre.headers['access-control-allow-headers'])).toContain('x-csrf-token');
    expect(String(pre.headers['access-control-allow-methods'])).toContain('PATCH');
  });

  it('another origin, a look-alike or a listed origin with another port gets nothing', async () => {
    for (const origin of [OTHER, `${ALLOWED}.evil.test`, 'https://app.example.test:444', 'null']) {
      const res = await listed.app.inject({ url: '/api/health', headers: { origin } });
      expect(res.headers['access-control-allow-origin'], origin).toBeUndefined();
      const pre = await preflight(listed, origin);
      expect(pre.headers['access-control-allow-origin'], origin).toBeUndefined();
      expect(pre.statusCode, origin).not.toBe(204);
    }
  });

  it('`*` (development only) allows anonymous reads, never credentials', async () => {
    const res = await any.app.inject({ url: '/api/health', headers: { origin: OTHER } });
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
  });
});

describe('HTTPS behind a proxy (TRUST_PROXY)', () => {
  let direct: TestApp;
  let proxied: TestApp;
  beforeAll(async () => {
    [direct, proxied] = await Promise.all([
      createTestApp(),
      createTestApp({ env: { TRUST_PROXY: '127.0.0.1' } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([direct?.close(), proxied?.close()]);
  });

  /** The first admin of each instance, made by `setup`. */
  const admins = new Map<TestApp, { email: string; password: string }>();
  const setup = async (t: TestApp, headers: Record<string, string>) => {
    const admin = { email: testEmail('proxy'), password: testPassword() };
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/setup',
      headers,
      payload: { ...admin, workspaceName: 'P' },
    });
    if (res.statusCode === 201) admins.set(t, admin);
    return res;
  };

  it('from a trusted proxy, X-Forwarded-Proto: https gives HSTS and a Secure session cookie', async () => {
    const res = await setup(proxied, { 'x-forwarded-proto': 'https' });
    expect(res.statusCode).toBe(201);
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    expect(String(res.headers['set-cookie'])).toMatch(/bastion_session=[^;]+;.*Secure/i);
  });

  it('without TRUST_PROXY the header is ignored: no HSTS, no Secure flag over plain HTTP', async () => {
    const res = await setup(direct, { 'x-forwarded-proto': 'https' });
    expect(res.statusCode).toBe(201);
    expect(res.headers['strict-transport-security']).toBeUndefined();
    expect(String(res.headers['set-cookie'])).not.toMatch(/Secure/i);
  });

  it('the device cookie of a sign-in is Secure exactly when the session cookie is', async () => {
    for (const [app, secure] of [
      [proxied, true],
      [direct, false],
    ] as const) {
      const admin = admins.get(app);
      if (!admin) throw new Error('setup did not run on this instance');
      const res = await app.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        headers: { 'x-forwarded-proto': 'https' },
        payload: admin,
      });
      expect(res.statusCode).toBe(200);
      const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
      const device = cookies.find((c) => c.startsWith('bastion_device='));
      const session = cookies.find((c) => c.startsWith('bastion_session='));
      expect(device).toMatch(/HttpOnly/);
      expect(device).toMatch(/SameSite=Lax/);
      expect(device).toMatch(/Path=\/api\/auth\/login/);
      expect(/Secure/.test(device!)).toBe(secure);
      expect(/Secure/.test(session!)).toBe(secure);
    }
  });
});
