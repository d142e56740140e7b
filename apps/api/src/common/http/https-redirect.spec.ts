import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { httpsRedirectLocation, startHttpsRedirect } from './https-redirect';

describe('httpsRedirectLocation', () => {
  it('keeps host, path and query; drops the HTTP port; adds the HTTPS port unless 443', () => {
    expect(httpsRedirectLocation('bastion.example.com', '/apps/1?x=2', 443)).toBe(
      'https://bastion.example.com/apps/1?x=2',
    );
    expect(httpsRedirectLocation('bastion.example.com:80', '/', 8443)).toBe(
      'https://bastion.example.com:8443/',
    );
    expect(httpsRedirectLocation('[::1]:8080', '/a', 443)).toBe('https://[::1]/a');
    expect(httpsRedirectLocation('10.0.0.5:8080', '//evil.test/x', 443)).toBe(
      'https://10.0.0.5//evil.test/x',
    );
  });

  it('refuses a missing or malformed Host and targets that are not a path', () => {
    for (const host of [
      undefined,
      '',
      'evil.test/x',
      'a b',
      'evil.test@x',
      'h:99999999',
      'x\r\nSet-Cookie: a=1',
    ]) {
      expect(httpsRedirectLocation(host, '/', 443)).toBeNull();
    }
    expect(httpsRedirectLocation('ok.test', 'http://evil.test/', 443)).toBeNull();
    expect(httpsRedirectLocation('ok.test', '*', 443)).toBeNull();
  });
});

describe('startHttpsRedirect', () => {
  const get = (port: number, method: string, headers: Record<string, string>) =>
    new Promise<{ status: number; location?: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method, path: '/p?q=1', headers }, (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, location: res.headers.location });
      });
      req.on('error', reject);
      req.end();
    });

  it('answers every method with 308 to HTTPS, and 400 to a bad Host', async () => {
    const server = await startHttpsRedirect({ host: '127.0.0.1', port: 0, httpsPort: 8443 });
    const { port } = server.address() as AddressInfo;
    try {
      for (const method of ['GET', 'POST', 'DELETE']) {
        expect(await get(port, method, { host: 'app.example.test' })).toEqual({
          status: 308,
          location: 'https://app.example.test:8443/p?q=1',
        });
      }
      expect((await get(port, 'GET', { host: 'bad/host' })).status).toBe(400);
    } finally {
      server.close();
    }
  });
});
