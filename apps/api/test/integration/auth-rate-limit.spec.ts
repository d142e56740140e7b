import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DatabaseThrottlerStorage } from '../../src/auth/database-throttler.storage';
import { addMember, call, setupOrReuse, testEmail } from '../harness/auth-fixtures';
import { createTestApp, MetadataStore, TestApp } from '../harness/test-app';

function attempt(
  t: TestApp,
  email: string,
  password: string,
  remoteAddress = '203.0.113.7',
  deviceCookie?: string,
) {
  return t.app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { email, password },
    remoteAddress,
    ...(deviceCookie ? { cookies: { bastion_device: deviceCookie } } : {}),
  });
}

/** The device cookie a successful sign-in set: its value and its attributes. */
function deviceCookieOf(res: { cookies: { name: string; value: string }[] }) {
  const cookie = res.cookies.find((c) => c.name === 'bastion_device');
  if (!cookie) throw new Error('no device cookie in response');
  return cookie as {
    name: string;
    value: string;
    path?: string;
    httpOnly?: boolean;
    sameSite?: string;
    secure?: boolean;
    expires?: Date;
  };
}

/** A new account in the setup admin's workspace (invited, accepted). */
async function newAccount(t: TestApp) {
  const admin = await setupOrReuse(t);
  const member = await addMember(t, admin, admin.workspaceId, 'viewer');
  return { email: member.email, password: member.password };
}

describe.each<MetadataStore>(['sqlite', 'postgres'])('sign-in rate limits (%s)', (store) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      store,
      env: { LOGIN_LIMIT_PER_ACCOUNT: '3', LOGIN_LIMIT_PER_ADDRESS: '6' },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('per account: the attempt past the limit gets 429 with Retry-After, even with the right password', async () => {
    const admin = await setupOrReuse(t);
    const address = '198.51.100.1';
    for (let i = 0; i < 3; i++) {
      expect((await attempt(t, admin.email, 'Wrong-password-123', address)).statusCode).toBe(401);
    }
    const blocked = await attempt(t, admin.email, admin.password, '198.51.100.2');
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(800);
    expect(Number(blocked.headers['retry-after'])).toBeLessThanOrEqual(900);
    expect(blocked.json().message).toMatch(/^Too many attempts; try again in \d+ minutes$/);
    expect(blocked.json().correlationId).toBeTruthy();
    expect(blocked.headers['set-cookie']).toBeUndefined();
    // Another account from the same addresses is unaffected.
    const other = testEmail();
    expect((await attempt(t, other, 'Wrong-password-123', '198.51.100.3')).statusCode).toBe(401);
  });

  it('an unknown email is limited exactly like a real one (no enumeration)', async () => {
    const unknown = testEmail('ghost');
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push(
        (await attempt(t, unknown, 'Wrong-password-123', `192.0.2.${i + 1}`)).statusCode,
      );
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
  });

  it('the account key ignores case and spaces in the email', async () => {
    const email = testEmail('case');
    const spellings = [email, email.toUpperCase(), ` ${email} `];
    for (const e of spellings) {
      expect((await attempt(t, e, 'Wrong-password-123', '192.0.2.50')).statusCode).toBe(401);
    }
    expect((await attempt(t, email, 'Wrong-password-123', '192.0.2.51')).statusCode).toBe(429);
  });

  it('per address: password spraying across accounts gets 429', async () => {
    const address = '203.0.113.99';
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      statuses.push((await attempt(t, testEmail('spray'), 'Spray-password-1', address)).statusCode);
    }
    expect(statuses.slice(0, 6)).toEqual([401, 401, 401, 401, 401, 401]);
    expect(statuses[6]).toBe(429);
    // Another address still gets its own answer.
    expect((await attempt(t, testEmail(), 'Spray-password-1', '203.0.113.100')).statusCode).toBe(
      401,
    );
  });

  it('two-factor checks of a signed-in account are limited too', async () => {
    const admin = await setupOrReuse(t);
    // The setup admin's login is blocked by the first test: a fresh account, signed in by
    // accepting its invitation.
    const user = await addMember(t, admin, admin.workspaceId, 'viewer');
    await call(t, user, 'POST', '/api/auth/two-factor/enrol', { password: user.password });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push(
        (await call(t, user, 'POST', '/api/auth/two-factor/confirm', { code: '000000' }))
          .statusCode,
      );
    }
    expect(statuses).toEqual([400, 400, 400, 429]);
  });

  it('known device: the owner still signs in while a guesser has locked the account (issue 15 item 8)', async () => {
    const owner = await newAccount(t);
    const first = await attempt(t, owner.email, owner.password, '198.19.0.10');
    expect(first.statusCode).toBe(200);
    const device = deviceCookieOf(first);
    expect(device).toMatchObject({ path: '/api/auth/login', httpOnly: true, sameSite: 'Lax' });
    expect(device.secure).toBeFalsy(); // plain HTTP here; Secure on HTTPS like the session cookie
    expect(device.expires!.getTime() - Date.now()).toBeGreaterThan(179 * 86_400_000);
    expect(device.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Only a hash is stored.
    const stored = JSON.stringify(await t.app.get(DataSource).query('SELECT * FROM known_devices'));
    expect(stored).not.toContain(device.value);

    // A guesser from elsewhere (no cookie) locks the account for unknown devices (the owner's
    // first sign-in, from an unknown device then, counted too).
    const guesses: number[] = [];
    for (let i = 0; i < 3; i++) {
      guesses.push(
        (await attempt(t, owner.email, 'Wrong-password-123', `198.18.0.${i}`)).statusCode,
      );
    }
    expect(guesses).toEqual([401, 401, 429]);
    expect((await attempt(t, owner.email, owner.password, '198.18.0.9')).statusCode).toBe(429);

    // The owner's browser, from any address, still gets in, and its cookie is rotated.
    const again = await attempt(t, owner.email, owner.password, '198.19.0.11', device.value);
    expect(again.statusCode).toBe(200);
    const rotated = deviceCookieOf(again).value;
    expect(rotated).not.toBe(device.value);
    // The retired token is an unknown device now: held by the lock like the guesser.
    expect(
      (await attempt(t, owner.email, owner.password, '198.19.0.12', device.value)).statusCode,
    ).toBe(429);
    expect((await attempt(t, owner.email, owner.password, '198.19.0.12', rotated)).statusCode).toBe(
      200,
    );
  });

  it('a device cookie of another account, or a made-up one, is not exempted', async () => {
    const victim = await newAccount(t);
    const attacker = await newAccount(t);
    const own = deviceCookieOf(await attempt(t, attacker.email, attacker.password, '198.19.0.20'));
    const guesses: number[] = [];
    for (let i = 0; i < 3; i++) {
      guesses.push((await attempt(t, victim.email, 'Wrong-password-123', '198.18.1.1')).statusCode);
    }
    expect(guesses).toEqual([401, 401, 401]);
    // The attacker's own (valid) device cookie does not open the victim's lock...
    expect(
      (await attempt(t, victim.email, 'Wrong-password-123', '198.18.1.2', own.value)).statusCode,
    ).toBe(429);
    // ...nor does a made-up or malformed one.
    for (const forged of [randomBytes(32).toString('base64url'), 'x', 'a'.repeat(5000)]) {
      expect(
        (await attempt(t, victim.email, victim.password, '198.18.1.3', forged)).statusCode,
      ).toBe(429);
    }
  });

  it('a known device has its own counter, and attempts from it still count for the address', async () => {
    const owner = await newAccount(t);
    const device = deviceCookieOf(await attempt(t, owner.email, owner.password, '198.19.0.30'));
    // Wrong passwords from the known device: limited per device (3 here), not per account.
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push(
        (await attempt(t, owner.email, 'Wrong-password-123', `198.19.0.${31 + i}`, device.value))
          .statusCode,
      );
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
    // Those did not count against the account: another device still has its 3 attempts.
    expect((await attempt(t, owner.email, 'Wrong-password-123', '198.19.0.40')).statusCode).toBe(
      401,
    );
    expect((await attempt(t, owner.email, owner.password, '198.19.0.41')).statusCode).toBe(200);

    // The per-address limit (6) still holds a known device.
    const other = await newAccount(t);
    const otherDevice = deviceCookieOf(
      await attempt(t, other.email, other.password, '198.19.0.50'),
    );
    const fromOneAddress: number[] = [];
    for (let i = 0; i < 6; i++) {
      const useDevice = i % 2 === 0;
      fromOneAddress.push(
        (
          await attempt(
            t,
            useDevice ? other.email : testEmail('spray2'),
            'Wrong-password-123',
            '198.19.0.51',
            useDevice ? otherDevice.value : undefined,
          )
        ).statusCode,
      );
    }
    expect(fromOneAddress).toEqual([401, 401, 401, 401, 401, 401]);
    expect(
      (await attempt(t, other.email, other.password, '198.19.0.51', otherDevice.value)).statusCode,
    ).toBe(429);
  });

  it('counter increments are atomic under concurrency', async () => {
    const storage = new DatabaseThrottlerStorage(t.app.get(DataSource));
    const key = `atomic-${store}-${Date.now()}`;
    const results = await Promise.all(
      Array.from({ length: 25 }, () => storage.increment(key, 60_000, 100, 60_000, 'x')),
    );
    expect(results.map((r) => r.totalHits).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 25 }, (_, i) => i + 1),
    );
    expect(results.every((r) => !r.isBlocked && r.timeToExpire > 0)).toBe(true);
  });

  it('the window and the block expire', async () => {
    // The storage reads the clock with Date.now(): a fake Date steps it exactly, so a slow
    // statement on a busy machine cannot end the 300 ms window early (only Date is faked;
    // the drivers' timers stay real).
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const start = Date.now();
      const at = (ms: number) => vi.setSystemTime(start + ms);
      const storage = new DatabaseThrottlerStorage(t.app.get(DataSource));
      const key = `expiry-${store}-${start}`;
      const hit = () => storage.increment(key, 300, 2, 400, 'x');
      // A window ends after its ttl: two hits, then a fresh window.
      expect(await hit()).toMatchObject({ isBlocked: false, totalHits: 1 });
      at(299);
      expect(await hit()).toMatchObject({ isBlocked: false, totalHits: 2 });
      at(300);
      expect(await hit()).toMatchObject({ isBlocked: false, totalHits: 1 });
      // The hit over the limit blocks for blockDuration; hits while blocked are not counted.
      expect(await hit()).toMatchObject({ isBlocked: false, totalHits: 2 });
      const third = await hit();
      expect(third).toMatchObject({ isBlocked: true, totalHits: 3 });
      at(699);
      expect(await hit()).toMatchObject({ isBlocked: true, totalHits: 3 });
      // The block ends 400 ms after the blocking hit; the next hit starts a fresh window.
      at(700);
      expect(await hit()).toMatchObject({ isBlocked: false, totalHits: 1 });
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('sign-in rate limits shared by two API replicas on one PostgreSQL', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    // Replicas share the database and the vault key, as in production.
    const env = {
      LOGIN_LIMIT_PER_ACCOUNT: '4',
      VAULT_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    };
    a = await createTestApp({ store: 'postgres', env });
    b = await createTestApp({ env: { ...env, DATABASE_URL: a.databaseUrl! } });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  it('alternating replicas count against one limit', async () => {
    const admin = await setupOrReuse(a);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const replica = i % 2 === 0 ? a : b;
      statuses.push((await attempt(replica, admin.email, 'Wrong-password-123')).statusCode);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 429]);
    expect((await attempt(a, admin.email, admin.password)).statusCode).toBe(429);
    expect((await attempt(b, admin.email, admin.password)).statusCode).toBe(429);
  });

  it('a device cookie from one replica is known to the other, and device counters are shared', async () => {
    const owner = await newAccount(a);
    const device = deviceCookieOf(await attempt(a, owner.email, owner.password, '198.19.1.60'));
    for (let i = 0; i < 5; i++) {
      await attempt(i % 2 === 0 ? a : b, owner.email, 'Wrong-password-123', '198.18.2.1');
    }
    expect((await attempt(b, owner.email, owner.password, '198.18.2.2')).statusCode).toBe(429);
    const onB = await attempt(b, owner.email, owner.password, '198.19.1.61', device.value);
    expect(onB.statusCode).toBe(200);
    const rotated = deviceCookieOf(onB).value;
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      statuses.push(
        (
          await attempt(
            i % 2 === 0 ? a : b,
            owner.email,
            'Wrong-password-123',
            '198.19.1.62',
            rotated,
          )
        ).statusCode,
      );
    }
    expect(statuses).toEqual([401, 401, 401, 401, 429]);
  });
});
