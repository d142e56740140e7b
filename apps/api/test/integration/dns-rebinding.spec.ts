import { afterEach, describe, expect, it } from 'vitest';
import { testEmail, testPassword } from '../harness/auth-fixtures';
import { createTestApp, TestApp } from '../harness/test-app';

/**
 * DNS rebinding (breaking session): a page on a name of the attacker's, rebound to this server,
 * is same-origin in the browser (Origin and Host both name it), so the cross-site rule passes
 * it. Over plain HTTP the server answers only its addresses, localhost and ALLOWED_HOSTS.
 */
const setupBody = () =>
  JSON.stringify({ email: testEmail('rebind'), password: testPassword(), workspaceName: 'pwned' });

describe('DNS rebinding', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  const setup = (app: TestApp, headers: Record<string, string>) =>
    app.app.inject({
      method: 'POST',
      url: '/api/setup',
      headers: { 'content-type': 'application/json', ...headers },
      payload: setupBody(),
    });

  it('first-run setup from a rebound name is 421 and nobody becomes admin', async () => {
    t = await createTestApp();
    for (const host of ['rebind.attacker.test:3401', 'REBIND.attacker.test', '127.0.0.1.nip.io']) {
      const res = await setup(t, {
        host,
        origin: `http://${host.toLowerCase()}`,
        'sec-fetch-site': 'same-origin',
      });
      expect(res.statusCode, host).toBe(421);
      expect(res.json().message).toMatch(/ALLOWED_HOSTS/);
      expect(res.headers['set-cookie']).toBeUndefined();
    }
    // Reads from the rebound name are refused too (no probing of an internal instance).
    const read = await t.app.inject({
      method: 'GET',
      url: '/api/setup',
      headers: { host: 'rebind.attacker.test' },
    });
    expect(read.statusCode).toBe(421);
    const status = await t.app.inject({ method: 'GET', url: '/api/setup' });
    expect(status.json()).toEqual({ setupRequired: true });
    // The instance's own address still works.
    const own = await setup(t, { host: '127.0.0.1:3000', origin: 'http://127.0.0.1:3000' });
    expect(own.statusCode).toBe(201);
  });

  it('a name listed in ALLOWED_HOSTS is answered; behind a trusted proxy the proxy decides', async () => {
    t = await createTestApp({ env: { ALLOWED_HOSTS: 'bastion.internal' } });
    expect((await setup(t, { host: 'bastion.internal:3000' })).statusCode).toBe(201);
    expect((await setup(t, { host: 'other.internal:3000' })).statusCode).toBe(421);
    await t.close();
    t = await createTestApp({ env: { TRUST_PROXY: 'true' } });
    expect((await setup(t, { host: 'bastion.example.org' })).statusCode).toBe(201);
  });

  it('a malformed ALLOWED_HOSTS stops the boot naming the variable', async () => {
    await expect(
      createTestApp({ env: { ALLOWED_HOSTS: 'http://bastion.internal:3000/' } }),
    ).rejects.toThrow(/ALLOWED_HOSTS/);
  });
});
