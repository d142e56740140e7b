import { describe, expect, it } from 'vitest';
import { crossSiteRefusal, normaliseOrigin, RequestOrigin } from './cross-site-request';

const own = 'https://bastion.example.org';
const allowed = new Set(['https://tools.partner.test']);
const req = (r: Partial<RequestOrigin>): RequestOrigin => ({
  method: 'POST',
  origin: undefined,
  secFetchSite: undefined,
  ownOrigins: new Set([own]),
  ...r,
});

describe('crossSiteRefusal', () => {
  it('compares origins without the default port and in any case', () => {
    expect(normaliseOrigin('https://App.Example.com:443')).toBe('https://app.example.com');
    expect(normaliseOrigin('http://app.example.com:80')).toBe('http://app.example.com');
    expect(normaliseOrigin('https://app.example.com:80')).toBe('https://app.example.com:80');
    const viaPort = req({ ownOrigins: new Set([normaliseOrigin(`${own}:443`)]), origin: own });
    expect(crossSiteRefusal(viaPort, allowed)).toBeNull();
  });

  it('passes safe methods whatever their headers say', () => {
    for (const method of ['GET', 'HEAD', 'OPTIONS', 'get']) {
      expect(
        crossSiteRefusal(
          req({ method, origin: 'https://evil.example', secFetchSite: 'cross-site' }),
          allowed,
        ),
      ).toBeNull();
    }
  });

  it('passes the own origin, a listed origin and requests without browser headers', () => {
    expect(crossSiteRefusal(req({ origin: own, secFetchSite: 'same-origin' }), allowed)).toBeNull();
    expect(crossSiteRefusal(req({ secFetchSite: 'same-origin' }), allowed)).toBeNull();
    expect(crossSiteRefusal(req({}), allowed)).toBeNull();
    expect(
      crossSiteRefusal(
        req({ origin: 'https://tools.partner.test', secFetchSite: 'cross-site' }),
        allowed,
      ),
    ).toBeNull();
  });

  it('refuses every other origin spelling and any cross-site fetch, on every write method', () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      for (const r of [
        { origin: 'https://evil.example' },
        { origin: 'null' },
        { origin: 'http://bastion.example.org' },
        { origin: 'https://bastion.example.org:444' },
        { origin: 'https://bastion.example.org.evil.example' },
        { origin: 'https://tools.partner.test.evil.example' },
        { secFetchSite: 'cross-site' },
        { secFetchSite: 'CROSS-SITE' },
        { origin: own, secFetchSite: 'cross-site' },
      ]) {
        expect(crossSiteRefusal(req({ method, ...r }), allowed), JSON.stringify(r)).toMatch(
          /another site/,
        );
      }
    }
  });
});
