import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, setupAdmin, testEmail, testPassword, TestSession } from '../harness/auth-fixtures';
import { createTestApp, TestApp } from '../harness/test-app';

/**
 * Login and setup CSRF (issue 15, item 4): a cross-site HTML form or script cannot sign a
 * victim in as the attacker, make an attacker the first admin, or change anything with the
 * victim's cookie. Every body is JSON only (415 otherwise), and every state-changing request,
 * public ones included, is refused (403) when it comes from another site.
 */
const HOST = 'bastion.test';
const OWN = `http://${HOST}`;

function hasSessionCookie(setCookie: string | string[] | undefined): boolean {
  return ([] as string[]).concat(setCookie ?? []).some((c) => c.startsWith('bastion_session='));
}

describe('cross-site requests', () => {
  let t: TestApp;
  let admin: TestSession & { workspaceId: string };

  const post = (url: string, headers: Record<string, string>, payload: string) =>
    t.app.inject({ method: 'POST', url, headers: { host: HOST, ...headers }, payload });

  beforeAll(async () => {
    t = await createTestApp({
      env: { CORS_ORIGINS: 'https://tools.partner.test', ALLOWED_HOSTS: HOST },
    });
  });
  afterAll(() => t.close());

  it('first-run setup from a form (urlencoded, multipart, text/plain) is 415 and creates nobody', async () => {
    const email = testEmail('attacker');
    const password = testPassword();
    const form = `email=${encodeURIComponent(email)}&password=${encodeURIComponent(password)}&workspaceName=Evil`;
    const attempts: Array<[string, string]> = [
      ['application/x-www-form-urlencoded', form],
      ['application/x-www-form-urlencoded; charset=UTF-8', form],
      [
        'multipart/form-data; boundary=X',
        `--X\r\nContent-Disposition: form-data; name="email"\r\n\r\n${email}\r\n--X--\r\n`,
      ],
      ['text/plain', JSON.stringify({ email, password, workspaceName: 'Evil' })],
    ];
    for (const [contentType, body] of attempts) {
      const res = await post('/api/setup', { 'content-type': contentType }, body);
      expect(res.statusCode, contentType).toBe(415);
      expect(res.json().message, contentType).toMatch(/application\/json/);
      expect(hasSessionCookie(res.headers['set-cookie']), contentType).toBe(false);
    }
    const status = await t.app.inject({ method: 'GET', url: '/api/setup' });
    expect(status.json()).toEqual({ setupRequired: true });
    admin = await setupAdmin(t);
  });

  it('sign-in from a form is 415 and sets no cookie', async () => {
    const form = `email=${encodeURIComponent(admin.email)}&password=${encodeURIComponent(admin.password)}`;
    for (const contentType of [
      'application/x-www-form-urlencoded',
      'APPLICATION/X-WWW-FORM-URLENCODED',
      'text/plain;charset=UTF-8',
    ]) {
      const res = await post('/api/auth/login', { 'content-type': contentType }, form);
      expect(res.statusCode, contentType).toBe(415);
      expect(hasSessionCookie(res.headers['set-cookie']), contentType).toBe(false);
    }
  });

  it('sign-in with a JSON body from another site is 403 and sets no cookie', async () => {
    const body = JSON.stringify({ email: admin.email, password: admin.password });
    const json = { 'content-type': 'application/json' };
    const crossSite: Array<Record<string, string>> = [
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'Cross-Site' },
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { origin: `${OWN}.evil.example` },
      { origin: `https://${HOST}` }, // another scheme is another origin
      { origin: `${OWN}:8080` },
      { origin: OWN, 'sec-fetch-site': 'cross-site' },
      { origin: 'https://evil.example', 'sec-fetch-site': 'same-origin' },
    ];
    for (const headers of crossSite) {
      const res = await post('/api/auth/login', { ...json, ...headers }, body);
      expect(res.statusCode, JSON.stringify(headers)).toBe(403);
      expect(res.json().message).toMatch(/another site/);
      expect(res.json().correlationId).toEqual(expect.any(String));
      expect(hasSessionCookie(res.headers['set-cookie'])).toBe(false);
    }
  });

  it('the web app itself, a listed CORS origin and non-browser clients still sign in', async () => {
    const body = JSON.stringify({ email: admin.email, password: admin.password });
    const json = { 'content-type': 'application/json; charset=utf-8' };
    const allowed: Array<Record<string, string>> = [
      { origin: OWN, 'sec-fetch-site': 'same-origin' },
      { 'sec-fetch-site': 'same-origin' },
      { 'sec-fetch-site': 'none' }, // typed into the address bar or a bookmark
      { origin: 'https://tools.partner.test', 'sec-fetch-site': 'cross-site' },
      {}, // curl, scripts, the CLI
    ];
    for (const headers of allowed) {
      const res = await post('/api/auth/login', { ...json, ...headers }, body);
      expect(res.statusCode, JSON.stringify(headers)).toBe(200);
      expect(hasSessionCookie(res.headers['set-cookie'])).toBe(true);
    }
  });

  it('behind a trusted proxy the origin is the one the proxy saw', async () => {
    const proxied = await createTestApp({ env: { TRUST_PROXY: 'true' } });
    try {
      const res = await proxied.app.inject({
        method: 'POST',
        url: '/api/setup',
        headers: {
          host: 'internal:3000',
          'x-forwarded-proto': 'https',
          'x-forwarded-host': 'bastion.example.org',
          origin: 'https://bastion.example.org',
          'content-type': 'application/json',
        },
        payload: JSON.stringify({
          email: testEmail('proxied'),
          password: testPassword(),
          workspaceName: 'Behind a proxy',
        }),
      });
      expect(res.statusCode).toBe(201);
      const cross = await proxied.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        headers: {
          host: 'internal:3000',
          'x-forwarded-proto': 'https',
          'x-forwarded-host': 'bastion.example.org',
          origin: 'http://internal:3000',
          'content-type': 'application/json',
        },
        payload: JSON.stringify({ email: 'a@example.test', password: 'x' }),
      });
      expect(cross.statusCode).toBe(403);
      // Chains of proxies and an explicit default port are the same instance (breaking session:
      // each of these was refused).
      for (const headers of [
        { 'x-forwarded-host': 'bastion.example.org, internal:3000', 'x-forwarded-proto': 'https' },
        { 'x-forwarded-host': 'bastion.example.org', 'x-forwarded-proto': 'https, http' },
        { 'x-forwarded-host': 'bastion.example.org:443', 'x-forwarded-proto': 'https' },
      ]) {
        const chained = await proxied.app.inject({
          method: 'POST',
          url: '/api/auth/login',
          headers: {
            host: 'internal:3000',
            origin: 'https://bastion.example.org',
            'content-type': 'application/json',
            ...headers,
          },
          payload: JSON.stringify({ email: 'nobody@example.test', password: 'x' }),
        });
        expect(chained.statusCode, JSON.stringify(headers)).toBe(401);
      }
    } finally {
      await proxied.close();
    }
  });

  it('a signed-in write from another site is refused even with the CSRF token; reads pass', async () => {
    for (const headers of [
      { origin: 'https://evil.example' },
      { 'sec-fetch-site': 'cross-site' },
    ]) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/workspaces',
        headers: {
          host: HOST,
          cookie: admin.cookie,
          'x-csrf-token': admin.csrfToken,
          'content-type': 'application/json',
          ...headers,
        },
        payload: JSON.stringify({ name: 'Planted' }),
      });
      expect(res.statusCode).toBe(403);
      const logout = await t.app.inject({
        method: 'POST',
        url: '/api/auth/logout',
        headers: { host: HOST, cookie: admin.cookie, 'x-csrf-token': admin.csrfToken, ...headers },
      });
      expect(logout.statusCode).toBe(403);
    }
    // A cross-site GET (a link, an image) is not refused by this rule: GET changes nothing.
    const read = await t.app.inject({
      method: 'GET',
      url: '/api/me',
      headers: { host: HOST, cookie: admin.cookie, 'sec-fetch-site': 'cross-site' },
    });
    expect(read.statusCode).toBe(200);
    const names = (await call(t, admin, 'GET', '/api/me')).json<{
      memberships: Array<{ workspaceName: string }>;
    }>();
    expect(names.memberships.map((m) => m.workspaceName)).not.toContain('Planted');
  });
});
