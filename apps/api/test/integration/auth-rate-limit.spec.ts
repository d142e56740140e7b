import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DatabaseThrottlerStorage } from '../../src/auth/database-throttler.storage';
import { call, login, setupOrReuse, testEmail, testPassword } from '../harness/auth-fixtures';
import { createTestApp, MetadataStore, TestApp } from '../harness/test-app';

function attempt(t: TestApp, email: string, password: string, remoteAddress = '203.0.113.7') {
  return t.app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { email, password },
    remoteAddress,
  });
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
    // The setup admin's login is blocked by the first test: add a fresh account.
    const email = testEmail('totp');
    const password = testPassword();
    const added = await call(t, admin, 'POST', `/api/workspaces/${admin.workspaceId}/members`, {
      email,
      password,
      role: 'viewer',
    });
    expect(added.statusCode).toBe(201);
    const user = await login(t, email, password);
    await call(t, user, 'POST', '/api/auth/two-factor/enrol');
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      statuses.push(
        (await call(t, user, 'POST', '/api/auth/two-factor/confirm', { code: '000000' }))
          .statusCode,
      );
    }
    expect(statuses).toEqual([400, 400, 400, 429]);
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
});
