import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, TestApp } from '../harness/test-app';

/**
 * Every security header of a response: as @fastify/helmet 8 sent them for our configuration
 * before the headers were fixed at boot (captured with `curl -si`), except X-Frame-Options DENY.
 */
const EXPECTED = {
  'content-security-policy':
    "default-src 'self';script-src 'self';style-src 'self' 'unsafe-inline';img-src 'self' data:;" +
    "font-src 'self' data:;connect-src 'self';object-src 'none';base-uri 'self';" +
    "form-action 'self';frame-ancestors 'none'",
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'DENY',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
};

/** Headers that are about content, caching, transport or tracing, not security policy. */
const NOT_SECURITY = new Set([
  'accept-ranges',
  'cache-control',
  'connection',
  'content-length',
  'content-type',
  'date',
  'etag',
  'keep-alive',
  'last-modified',
  'set-cookie',
  'transfer-encoding',
  'vary',
  'x-correlation-id',
]);

/** The response's headers minus {@link NOT_SECURITY}: any extra header (x-powered-by...) shows. */
function securityHeadersOf(headers: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !NOT_SECURITY.has(name)));
}

describe('security headers', () => {
  let t: TestApp;
  const webDir = mkdtempSync(join(tmpdir(), 'bastion-web-'));
  beforeAll(async () => {
    mkdirSync(join(webDir, 'assets'));
    writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>Bastion</title>');
    writeFileSync(join(webDir, 'assets', 'app-1234.js'), 'console.log(1);');
    t = await createTestApp({
      env: { SERVE_WEB: 'true', WEB_DIST_DIR: webDir, TRUST_PROXY: '127.0.0.1' },
    });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(webDir, { recursive: true, force: true });
  });

  it('an API response carries exactly the fixed set, no HSTS over plain HTTP', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/health' });
    expect(res.statusCode).toBe(200);
    expect(securityHeadersOf(res.headers)).toEqual(EXPECTED);
  });

  it('errors carry the same set: unknown route, malformed JSON, anonymous query run', async () => {
    const responses = await Promise.all([
      t.app.inject({ method: 'GET', url: '/api/no-such-route' }),
      t.app.inject({
        method: 'POST',
        url: '/api/health',
        headers: { 'content-type': 'application/json' },
        payload: '{"broken": ',
      }),
      t.app.inject({
        method: 'POST',
        url: '/api/workspaces/w/apps/a/queries/q/run',
        payload: { params: {} },
      }),
    ]);
    expect(responses.map((r) => r.statusCode)).toEqual([404, 400, 401]);
    for (const res of responses) expect(securityHeadersOf(res.headers)).toEqual(EXPECTED);
  });

  it('a malformed URL (FST_ERR_BAD_URL) carries the fixed set, a correlation id and the error body', async () => {
    for (const [method, url] of [
      ['GET', '/api/%zz'],
      ['DELETE', '/api/auth/sessions/%'],
      ['GET', '/%E0%A4%A'],
    ] as const) {
      const res = await t.app.inject({ method, url });
      expect(res.statusCode, url).toBe(400);
      expect(securityHeadersOf(res.headers), url).toEqual(EXPECTED);
      const correlationId = res.headers['x-correlation-id'];
      expect(typeof correlationId === 'string' && correlationId.length > 0, url).toBe(true);
      expect(res.headers['cache-control'], url).toBe('no-store');
      expect(res.headers['content-type'], url).toContain('application/json');
      const body = res.json<Record<string, unknown>>();
      expect(Object.keys(body).sort(), url).toEqual([
        'correlationId',
        'error',
        'message',
        'statusCode',
      ]);
      expect(body, url).toMatchObject({ statusCode: 400, error: 'Bad Request', correlationId });
      expect(body.message, url).toMatch(/^The URL is not valid/);
    }
    // A proxy's correlation id (a UUID) is reused, as on every other answer.
    const proxied = await t.app.inject({
      method: 'GET',
      url: '/api/%zz',
      headers: { 'x-correlation-id': '5f0c6a52-3b7e-4c1d-9a8e-2b6d4f1e0c9a' },
    });
    expect(proxied.headers['x-correlation-id']).toBe('5f0c6a52-3b7e-4c1d-9a8e-2b6d4f1e0c9a');
    expect(proxied.json()).toMatchObject({ correlationId: '5f0c6a52-3b7e-4c1d-9a8e-2b6d4f1e0c9a' });
  });

  it('a login sent as text/plain is refused with a message naming the content type', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { 'content-type': 'text/plain' },
      payload: '{"email":"a@example.test","password":"x"}',
    });
    expect(res.statusCode).toBe(415);
    expect(securityHeadersOf(res.headers)).toEqual(EXPECTED);
    expect(res.json()).toMatchObject({
      statusCode: 415,
      error: 'Unsupported Media Type',
      message: expect.stringMatching(/application\/json/),
    });
  });

  it('the served web index, a client-side route and an asset carry exactly the fixed set', async () => {
    for (const url of ['/', '/apps/some/page', '/assets/app-1234.js']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(securityHeadersOf(res.headers), url).toEqual(EXPECTED);
    }
    const index = await t.app.inject({ method: 'GET', url: '/' });
    expect(index.headers['content-type']).toContain('text/html');
  });

  it('caches hashed assets for a year and revalidates the index and client-side routes', async () => {
    const asset = await t.app.inject({ method: 'GET', url: '/assets/app-1234.js' });
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    for (const url of ['/', '/apps/some/page']) {
      const res = await t.app.inject({ method: 'GET', url });
      expect(res.headers['cache-control'], url).toBe('no-cache');
    }
  });

  it('HTTPS (trusted proxy) adds HSTS and nothing else', async () => {
    for (const url of ['/api/health', '/']) {
      const res = await t.app.inject({
        method: 'GET',
        url,
        headers: { 'x-forwarded-proto': 'https' },
      });
      expect(securityHeadersOf(res.headers), url).toEqual({
        ...EXPECTED,
        'strict-transport-security': 'max-age=31536000; includeSubDomains',
      });
    }
  });
});
