import * as argon2 from 'argon2';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOTP_STEP_SECONDS, totpCodeAt } from '../../src/auth/totp';
import { UserEntity } from '../../src/auth/user.entity';
import { VaultCheckService } from '../../src/credential-vault/vault-check.service';
import {
  addMember,
  call,
  login,
  setupOrReuse,
  TestSession,
  testEmail,
} from '../harness/auth-fixtures';
import { createTestApp, MetadataStore, TestApp } from '../harness/test-app';

const STEP_MS = TOTP_STEP_SECONDS * 1000;

/** Posts the login form, optionally with a second factor. */
function postLogin(t: TestApp, email: string, password: string, totpCode?: string) {
  return t.app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { email, password, ...(totpCode ? { totpCode } : {}) },
  });
}

/** Enrols and confirms two-factor for `s`; returns the seed and the recovery codes. */
async function enableTwoFactor(t: TestApp, s: TestSession) {
  const enrol = await call(t, s, 'POST', '/api/auth/two-factor/enrol', { password: s.password });
  expect(enrol.statusCode).toBe(200);
  const { secret, otpauthUri } = enrol.json<{ secret: string; otpauthUri: string }>();
  const confirmedAt = Date.now();
  const confirm = await call(t, s, 'POST', '/api/auth/two-factor/confirm', {
    code: totpCodeAt(secret, confirmedAt),
  });
  expect(confirm.statusCode).toBe(200);
  const { recoveryCodes } = confirm.json<{ recoveryCodes: string[] }>();
  return { secret, otpauthUri, recoveryCodes, confirmedAt };
}

describe.each<MetadataStore>(['sqlite', 'postgres'])('TOTP two-factor (%s)', (store) => {
  let t: TestApp;
  beforeAll(async () => {
    // Many sign-ins from one test address: the limits have their own spec.
    t = await createTestApp({ store, env: { LOGIN_LIMIT_PER_ADDRESS: '1000' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('enrols with an otpauth URI, confirms with a code, and seals the seed', async () => {
    const admin = await setupOrReuse(t);
    const user = await addMember(t, admin, admin.workspaceId, 'viewer');
    const wrong = await call(t, user, 'POST', '/api/auth/two-factor/confirm', { code: '000000' });
    expect(wrong.statusCode).toBe(409); // nothing pending yet
    const enrol = await call(t, user, 'POST', '/api/auth/two-factor/enrol', {
      password: user.password,
    });
    const { secret, otpauthUri } = enrol.json<{ secret: string; otpauthUri: string }>();
    expect(otpauthUri).toMatch(/^otpauth:\/\/totp\/Bastion:/);
    expect(otpauthUri).toContain(`secret=${secret}`);
    const bad = await call(t, user, 'POST', '/api/auth/two-factor/confirm', {
      code: totpCodeAt(secret, Date.now() - 10 * STEP_MS),
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/^code: /);
    const ok = await call(t, user, 'POST', '/api/auth/two-factor/confirm', {
      code: totpCodeAt(secret, Date.now()),
    });
    expect(ok.statusCode).toBe(200);
    const codes = ok.json<{ recoveryCodes: string[] }>().recoveryCodes;
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    for (const c of codes) expect(c).toMatch(/^[0-9a-f]{8}(-[0-9a-f]{8}){3}$/);
    expect((await call(t, user, 'GET', '/api/me')).json().user.twoFactorEnabled).toBe(true);
    const status = await call(t, user, 'GET', '/api/auth/two-factor');
    expect(status.json()).toEqual({ enabled: true, recoveryCodesLeft: 10 });

    // The seed and the codes are stored sealed / hashed, and never logged.
    const ds = t.app.get(DataSource);
    const row = await ds.getRepository(UserEntity).findOneByOrFail({ id: user.userId });
    expect(row.totpSecretSealed).toMatch(/^vk1\./);
    const dump = JSON.stringify([
      await ds.query('SELECT * FROM users'),
      await ds.query('SELECT * FROM recovery_codes'),
    ]);
    expect(dump).not.toContain(secret);
    for (const c of codes) expect(dump).not.toContain(c.replace(/-/g, ''));
    const logs = t.logs.join('\n');
    expect(logs).not.toContain(secret);
    for (const c of codes) expect(logs).not.toContain(c);
    // `vault check` opens the seed through the instance-secret store.
    const check = await t.app.get(VaultCheckService).check();
    expect(check.instanceSecrets.total).toBeGreaterThanOrEqual(1);
    expect(check.instanceSecrets.failures).toEqual([]);
    // A second enrolment while on is refused.
    expect(
      (await call(t, user, 'POST', '/api/auth/two-factor/enrol', { password: user.password }))
        .statusCode,
    ).toBe(409);
  });

  it('sign-in asks for the second factor only after a correct password', async () => {
    const admin = await setupOrReuse(t);
    const user = await addMember(t, admin, admin.workspaceId, 'editor');
    const { secret } = await enableTwoFactor(t, user);
    const wrongPassword = await postLogin(t, user.email, 'Wrong-password-123', '123456');
    expect(wrongPassword.statusCode).toBe(401);
    expect(wrongPassword.json().message).toBe('Invalid email or password');
    const noCode = await postLogin(t, user.email, user.password);
    expect(noCode.statusCode).toBe(401);
    expect(noCode.json().message).toMatch(/authenticator app/);
    expect(noCode.headers['set-cookie']).toBeUndefined();
    // A code of the next step is inside the ±1 window and was not used yet.
    const next = await postLogin(
      t,
      user.email,
      user.password,
      totpCodeAt(secret, Date.now() + STEP_MS),
    );
    expect(next.statusCode).toBe(200);
    expect(next.json().user.twoFactorEnabled).toBe(true);
  });

  it('a code outside the ±1 step window fails', async () => {
    const admin = await setupOrReuse(t);
    const user = await addMember(t, admin, admin.workspaceId, 'viewer');
    const { secret } = await enableTwoFactor(t, user);
    for (const offset of [-3 * STEP_MS, 3 * STEP_MS, 10 * STEP_MS]) {
      const res = await postLogin(
        t,
        user.email,
        user.password,
        totpCodeAt(secret, Date.now() + offset),
      );
      expect(res.statusCode).toBe(401);
      expect(res.json().message).toMatch(/two-factor code is not valid/);
    }
    expect((await postLogin(t, user.email, user.password, 'abcdef')).statusCode).toBe(401);
  });

  it('a used code cannot be replayed within its window', async () => {
    const admin = await setupOrReuse(t);
    const user = await addMember(t, admin, admin.workspaceId, 'viewer');
    const { secret, confirmedAt } = await enableTwoFactor(t, user);
    // The confirmation code itself is spent.
    const replayConfirm = await postLogin(
      t,
      user.email,
      user.password,
      totpCodeAt(secret, confirmedAt),
    );
    expect(replayConfirm.statusCode).toBe(401);
    const later = totpCodeAt(secret, Date.now() + STEP_MS);
    expect((await postLogin(t, user.email, user.password, later)).statusCode).toBe(200);
    expect((await postLogin(t, user.email, user.password, later)).statusCode).toBe(401);
  });

  it('concurrent sign-ins with one fresh code: exactly one succeeds', async () => {
    const admin = await setupOrReuse(t);
    const user = await addMember(t, admin, admin.workspaceId, 'viewer');
    const { secret } = await enableTwoFactor(t, user);
    const code = totpCodeAt(secret, Date.now() + STEP_MS);
    const results = await Promise.all(
      Array.from({ length: 4 }, () => postLogin(t, user.email, user.password, code)),
    );
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 401, 401, 401]);
  });

  it('a recovery code works once, and only for its owner', async () => {
    const admin = await setupOrReuse(t);
    const user = await addMember(t, admin, admin.workspaceId, 'viewer');
    const other = await addMember(t, admin, admin.workspaceId, 'viewer');
    const { recoveryCodes } = await enableTwoFactor(t, user);
    await enableTwoFactor(t, other);
    const code = recoveryCodes[3];
    expect((await postLogin(t, other.email, other.password, code)).statusCode).toBe(401);
    const first = await postLogin(t, user.email, user.password, code.toUpperCase());
    expect(first.statusCode).toBe(200);
    const second = await postLogin(t, user.email, user.password, code);
    expect(second.statusCode).toBe(401);
    const s = await loginWithCode(t, user, recoveryCodes[4]);
    expect((await call(t, s, 'GET', '/api/auth/two-factor')).json().recoveryCodesLeft).toBe(8);
  });

  it('regenerating recovery codes retires the old ones', async () => {
    const admin = await setupOrReuse(t);
    const user = await addMember(t, admin, admin.workspaceId, 'viewer');
    const { secret, recoveryCodes } = await enableTwoFactor(t, user);
    const res = await call(t, user, 'POST', '/api/auth/two-factor/recovery-codes', {
      code: totpCodeAt(secret, Date.now() + STEP_MS),
    });
    expect(res.statusCode).toBe(200);
    const fresh = res.json<{ recoveryCodes: string[] }>().recoveryCodes;
    expect((await postLogin(t, user.email, user.password, recoveryCodes[0])).statusCode).toBe(401);
    expect((await postLogin(t, user.email, user.password, fresh[0])).statusCode).toBe(200);
  });

  it('disable needs a code or the password; then sign-in is one step again', async () => {
    const admin = await setupOrReuse(t);
    const user = await addMember(t, admin, admin.workspaceId, 'viewer');
    await enableTwoFactor(t, user);
    const none = await call(t, user, 'POST', '/api/auth/two-factor/disable', {});
    expect(none.statusCode).toBe(400);
    const wrongPw = await call(t, user, 'POST', '/api/auth/two-factor/disable', {
      password: 'not-the-password-1',
    });
    expect(wrongPw.statusCode).toBe(400);
    const wrongCode = await call(t, user, 'POST', '/api/auth/two-factor/disable', {
      code: '000000',
    });
    expect(wrongCode.statusCode).toBe(400);
    const ok = await call(t, user, 'POST', '/api/auth/two-factor/disable', {
      password: user.password,
    });
    expect(ok.statusCode).toBe(204);
    expect((await postLogin(t, user.email, user.password)).statusCode).toBe(200);
    const ds = t.app.get(DataSource);
    const row = await ds.getRepository(UserEntity).findOneByOrFail({ id: user.userId });
    expect(row.totpSecretSealed).toBeNull();
  });

  it('an admin can require two-factor for a workspace; members without it get 403', async () => {
    const admin = await setupOrReuse(t);
    const ws = await call(t, admin, 'POST', '/api/workspaces', { name: 'Strict' });
    const wid = ws.json<{ id: string }>().id;
    const member = await addMember(t, admin, wid, 'editor');
    const early = await call(t, admin, 'PATCH', `/api/workspaces/${wid}`, {
      requireTwoFactor: true,
    });
    expect(early.statusCode).toBe(409);
    expect(early.json().message).toMatch(/^requireTwoFactor: /);
    const adminSecret = await enableTwoFactor(t, admin);
    expect(adminSecret.recoveryCodes).toHaveLength(10);
    const on = await call(t, admin, 'PATCH', `/api/workspaces/${wid}`, { requireTwoFactor: true });
    expect(on.statusCode).toBe(200);
    expect(on.json().requireTwoFactor).toBe(true);
    expect(
      (await call(t, member, 'PATCH', `/api/workspaces/${wid}`, { name: 'X' })).statusCode,
    ).toBe(403);
    const refused = await call(t, member, 'GET', `/api/workspaces/${wid}`);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().message).toMatch(/requires two-factor/);
    await enableTwoFactor(t, member);
    expect((await call(t, member, 'GET', `/api/workspaces/${wid}`)).statusCode).toBe(200);
    const members = await call(t, admin, 'GET', `/api/workspaces/${wid}/members`);
    expect(members.json().every((m: { twoFactorEnabled: boolean }) => m.twoFactorEnabled)).toBe(
      true,
    );
    // The setup admin now has two-factor: turn it off again for the other tests of this file.
    const off = await call(t, admin, 'POST', '/api/auth/two-factor/disable', {
      password: admin.password,
    });
    expect(off.statusCode).toBe(204);
  });

  it('change password needs the current one and signs out the other sessions', async () => {
    const admin = await setupOrReuse(t);
    const user = await addMember(t, admin, admin.workspaceId, 'viewer');
    const otherDevice = await login(t, user.email, user.password);
    const wrong = await call(t, user, 'POST', '/api/auth/password', {
      currentPassword: 'Canary-Wrong-Current-1',
      newPassword: 'a-brand-new-passphrase',
    });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().message).toMatch(/^currentPassword: /);
    const weak = await call(t, user, 'POST', '/api/auth/password', {
      currentPassword: user.password,
      newPassword: 'password1234',
    });
    expect(weak.statusCode).toBe(400);
    expect(weak.json().message).toMatch(/^password: /);
    const newPassword = 'Canary-New-Passphrase-42';
    const ok = await call(t, user, 'POST', '/api/auth/password', {
      currentPassword: user.password,
      newPassword,
    });
    expect(ok.statusCode).toBe(204);
    expect((await call(t, user, 'GET', '/api/me')).statusCode).toBe(200);
    expect((await call(t, otherDevice, 'GET', '/api/me')).statusCode).toBe(401);
    expect((await postLogin(t, user.email, user.password)).statusCode).toBe(401);
    expect((await postLogin(t, user.email, newPassword)).statusCode).toBe(200);
    expect(t.logs.join('\n')).not.toMatch(/Canary-/);
  });

  it('sign out everywhere revokes every session, the current one included', async () => {
    const admin = await setupOrReuse(t);
    const user = await addMember(t, admin, admin.workspaceId, 'viewer');
    const second = await login(t, user.email, user.password);
    const list = await call(t, user, 'GET', '/api/auth/sessions');
    expect(list.statusCode).toBe(200);
    const sessions = list.json<{ current: boolean; ip: string | null }[]>();
    expect(sessions.length).toBeGreaterThanOrEqual(2);
    expect(sessions.filter((s) => s.current)).toHaveLength(1);
    expect(list.body).not.toContain(user.cookie.split('=')[1]);
    const res = await call(t, user, 'POST', '/api/auth/sessions/revoke-all');
    expect(res.statusCode).toBe(204);
    expect(String(res.headers['set-cookie'])).toMatch(/bastion_session=;/);
    expect((await call(t, user, 'GET', '/api/me')).statusCode).toBe(401);
    expect((await call(t, second, 'GET', '/api/me')).statusCode).toBe(401);
    expect((await call(t, admin, 'GET', '/api/me')).statusCode).toBe(200);
  });

  it('rehashes a password on sign-in when the argon2 parameters were raised', async () => {
    const admin = await setupOrReuse(t);
    const user = await addMember(t, admin, admin.workspaceId, 'viewer');
    const users = t.app.get(DataSource).getRepository(UserEntity);
    const weakHash = await argon2.hash(user.password, {
      type: argon2.argon2id,
      memoryCost: 8192,
      timeCost: 1,
      parallelism: 1,
    });
    await users.update({ id: user.userId }, { passwordHash: weakHash });
    expect((await postLogin(t, user.email, user.password)).statusCode).toBe(200);
    const upgraded = (await users.findOneByOrFail({ id: user.userId })).passwordHash;
    expect(upgraded).not.toBe(weakHash);
    expect(upgraded).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect((await postLogin(t, user.email, user.password)).statusCode).toBe(200);
  });

  it('does not sign in an unknown email even with a code', async () => {
    const res = await postLogin(t, testEmail(), 'Whatever-password-1', '123456');
    expect(res.statusCode).toBe(401);
    expect(res.json().message).toBe('Invalid email or password');
  });
});

/** Signs in with a second factor and returns the session. */
async function loginWithCode(t: TestApp, user: TestSession, code: string): Promise<TestSession> {
  const res = await postLogin(t, user.email, user.password, code);
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
  const cookie = ([] as string[])
    .concat(res.headers['set-cookie'] ?? [])
    .find((c) => c.startsWith('bastion_session='))!
    .split(';')[0];
  return { ...user, cookie, csrfToken: res.json<{ csrfToken: string }>().csrfToken };
}
