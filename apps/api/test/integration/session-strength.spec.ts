import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PasswordHasher } from '../../src/auth/password-hasher';
import { SessionCache } from '../../src/auth/session-cache';
import { SessionEntity } from '../../src/auth/session.entity';
import { sessionIdFor } from '../../src/auth/session-token';
import { totpCodeAt, TOTP_STEP_SECONDS } from '../../src/auth/totp';
import {
  addMember,
  call,
  login,
  setupOrReuse,
  TestSession,
  testPassword,
} from '../harness/auth-fixtures';
import { createTestApp, MetadataStore, TestApp } from '../harness/test-app';

/**
 * Session strength (issue 15, item 5): each session records how it signed in; a workspace's
 * "require two-factor" checks the session, not the account's flag; enrolling two-factor,
 * changing the password and replacing the recovery codes end the user's other sessions.
 */
const STEP_MS = TOTP_STEP_SECONDS * 1000;

async function enableTwoFactor(t: TestApp, s: TestSession) {
  const { secret } = (
    await call(t, s, 'POST', '/api/auth/two-factor/enrol', { password: s.password })
  ).json<{
    secret: string;
  }>();
  const confirm = await call(t, s, 'POST', '/api/auth/two-factor/confirm', {
    code: totpCodeAt(secret, Date.now()),
  });
  expect(confirm.statusCode).toBe(200);
  return { secret, recoveryCodes: confirm.json<{ recoveryCodes: string[] }>().recoveryCodes };
}

/** Signs in with a second factor (a TOTP code or a recovery code). */
async function loginWith(t: TestApp, who: TestSession, totpCode: string): Promise<TestSession> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { email: who.email, password: who.password, totpCode },
  });
  expect(res.statusCode, res.body).toBe(200);
  const cookie = ([] as string[])
    .concat(res.headers['set-cookie'] ?? [])
    .find((c) => c.startsWith('bastion_session='))!
    .split(';')[0];
  return { ...who, cookie, csrfToken: res.json<{ csrfToken: string }>().csrfToken };
}

const methodOf = async (t: TestApp, s: TestSession) =>
  (await call(t, s, 'GET', '/api/me')).json<{ signInMethod: string }>().signInMethod;

describe.each<MetadataStore>(['sqlite', 'postgres'])('session strength (%s)', (store) => {
  let t: TestApp;
  let admin: TestSession & { workspaceId: string };
  let strictWid: string;

  beforeAll(async () => {
    t = await createTestApp({ store, env: { LOGIN_LIMIT_PER_ADDRESS: '1000' } });
    admin = await setupOrReuse(t);
    // A second workspace that requires two-factor; its admin signs in with two-factor.
    const { secret } = await enableTwoFactor(t, admin);
    admin = { ...admin, ...(await loginWith(t, admin, totpCodeAt(secret, Date.now() + STEP_MS))) };
    const created = await call(t, admin, 'POST', '/api/workspaces', { name: 'Strict' });
    strictWid = created.json<{ id: string }>().id;
    const strict = await call(t, admin, 'PATCH', `/api/workspaces/${strictWid}`, {
      requireTwoFactor: true,
    });
    expect(strict.statusCode, strict.body).toBe(200);
  });
  afterAll(() => t?.close());

  it('a password-only session ends when the user enrols two-factor in another session', async () => {
    const member = await addMember(t, admin, strictWid, 'viewer');
    const laptop = await login(t, member.email, member.password);
    expect(await methodOf(t, member)).toBe('password');
    // Password alone: refused by the strict workspace, naming the remedy.
    const before = await call(t, member, 'GET', `/api/workspaces/${strictWid}`);
    expect(before.statusCode).toBe(403);
    expect(before.json().message).toMatch(/enrol it/);

    await enableTwoFactor(t, member);
    // The enrolling session proved a TOTP code: it is now password+totp and admitted.
    expect(await methodOf(t, member)).toBe('password+totp');
    expect((await call(t, member, 'GET', `/api/workspaces/${strictWid}`)).statusCode).toBe(200);
    // The other password-only session is gone, not upgraded.
    expect((await call(t, laptop, 'GET', '/api/me')).statusCode).toBe(401);
    expect((await call(t, laptop, 'GET', `/api/workspaces/${strictWid}`)).statusCode).toBe(401);
  });

  it('"require two-factor" checks the session: a password-only session of a 2FA account is refused', async () => {
    const member = await addMember(t, admin, strictWid, 'editor');
    const { secret, recoveryCodes } = await enableTwoFactor(t, member);
    // A session from before this release recorded no method: the migration made it `password`.
    const old = await loginWith(t, member, totpCodeAt(secret, Date.now() + STEP_MS));
    await t.app
      .get(DataSource)
      .getRepository(SessionEntity)
      .update({ id: sessionIdFor(old.cookie.split('=')[1]) }, { signInMethod: 'password' });
    // Another replica (or this one after AUTH_CACHE_TTL_MS) reads the row afresh.
    t.app.get(SessionCache).forgetUser(member.userId);
    const again = await t.app.inject({
      method: 'GET',
      url: `/api/workspaces/${strictWid}`,
      headers: { cookie: old.cookie },
    });
    expect(again.statusCode).toBe(403);
    expect(again.json().message).toMatch(/sign in again with two-factor/);

    // A recovery code is a second factor too.
    const recovered = await loginWith(t, member, recoveryCodes[0]);
    expect(await methodOf(t, recovered)).toBe('recovery-code');
    expect((await call(t, recovered, 'GET', `/api/workspaces/${strictWid}`)).statusCode).toBe(200);

    // The Account page lists each session with its strength.
    const list = (await call(t, recovered, 'GET', '/api/auth/sessions')).json<
      Array<{ signInMethod: string; current: boolean }>
    >();
    expect(list.find((s) => s.current)?.signInMethod).toBe('recovery-code');
    expect(list.map((s) => s.signInMethod).sort()).toEqual(
      expect.arrayContaining(['password', 'recovery-code']),
    );
  });

  it('a session alone cannot enrol two-factor: the password is asked again', async () => {
    const member = await addMember(t, admin, admin.workspaceId, 'viewer');
    const laptop = await login(t, member.email, member.password);
    for (const body of [{}, { password: '' }, { password: 'Not-the-password-1' }]) {
      const res = await call(t, member, 'POST', '/api/auth/two-factor/enrol', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().message).toMatch(/^password: /);
      expect(res.body).not.toMatch(/otpauth|secret/);
    }
    // Nothing is pending to confirm, and the owner's other session is untouched.
    const confirm = await call(t, member, 'POST', '/api/auth/two-factor/confirm', {
      code: '123456',
    });
    expect(confirm.statusCode).toBe(409);
    expect((await call(t, laptop, 'GET', '/api/me')).statusCode).toBe(200);
    expect((await call(t, member, 'GET', '/api/auth/two-factor')).json()).toMatchObject({
      enabled: false,
    });
  });

  it('a sign-in racing a password change or two-factor enrolment does not outlive it', async () => {
    // The change commits while the sign-in checks the password (argon2, tens of ms): run it
    // from inside the real hasher's verify, so the interleaving happens every time.
    const hasher = t.app.get(PasswordHasher);
    const verify = hasher.verify.bind(hasher);
    let during: (() => Promise<void>) | null = null;
    hasher.verify = async (hash: string, password: string) => {
      const ok = await verify(hash, password);
      const change = during;
      during = null;
      if (change) await change();
      return ok;
    };
    const raceLogin = async (who: TestSession, change: () => Promise<void>) => {
      during = change;
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { email: who.email, password: who.password },
      });
      expect(during).toBeNull(); // the change ran inside this sign-in
      return res;
    };
    try {
      const member = await addMember(t, admin, admin.workspaceId, 'viewer');
      const raced = await raceLogin(member, async () => {
        const changed = await call(t, member, 'POST', '/api/auth/password', {
          currentPassword: member.password,
          newPassword: testPassword(),
        });
        expect(changed.statusCode, changed.body).toBeLessThan(300);
      });
      expect(raced.statusCode).toBe(401);
      const sessions = await t.app
        .get(DataSource)
        .getRepository(SessionEntity)
        .findBy({ userId: member.userId });
      expect(sessions.filter((s) => s.revokedAt === null)).toHaveLength(1); // the changer's

      const other = await addMember(t, admin, admin.workspaceId, 'viewer');
      const enrolled = await raceLogin(other, async () => {
        await enableTwoFactor(t, other);
      });
      expect(enrolled.statusCode).toBe(401);
      expect(enrolled.json().message).toMatch(/code/);
      const live = (
        await t.app.get(DataSource).getRepository(SessionEntity).findBy({ userId: other.userId })
      ).filter((s) => s.revokedAt === null);
      expect(live.map((s) => s.signInMethod)).toEqual(['password+totp']); // the enrolling one
    } finally {
      hasher.verify = verify;
    }
  });

  it('replacing the recovery codes and changing the password end every other session', async () => {
    const member = await addMember(t, admin, strictWid, 'viewer');
    const { secret, recoveryCodes } = await enableTwoFactor(t, member);
    // Each TOTP step is accepted once: the other sign-in uses a recovery code.
    const other = await loginWith(t, member, recoveryCodes[0]);
    const replaced = await call(t, member, 'POST', '/api/auth/two-factor/recovery-codes', {
      code: totpCodeAt(secret, Date.now() + STEP_MS),
    });
    expect(replaced.statusCode, replaced.body).toBe(200);
    expect((await call(t, other, 'GET', '/api/me')).statusCode).toBe(401);
    expect((await call(t, member, 'GET', '/api/me')).statusCode).toBe(200);

    const fresh = replaced.json<{ recoveryCodes: string[] }>().recoveryCodes;
    const second = await loginWith(t, member, fresh[0]);
    const newPassword = testPassword();
    const changed = await call(t, member, 'POST', '/api/auth/password', {
      currentPassword: member.password,
      newPassword,
    });
    expect(changed.statusCode, changed.body).toBeLessThan(300);
    expect((await call(t, second, 'GET', '/api/me')).statusCode).toBe(401);
    expect((await call(t, member, 'GET', '/api/me')).statusCode).toBe(200);
  });
});
