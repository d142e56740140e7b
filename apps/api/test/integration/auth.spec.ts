import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { SessionEntity } from '../../src/auth/session.entity';
import { SESSION_IDLE_MS } from '../../src/auth/session.service';
import { sessionIdFor } from '../../src/auth/session-token';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addMember,
  call,
  invite,
  login,
  otherWorkspace,
  setupOrReuse,
  testEmail,
  testPassword,
  TestSession,
} from '../harness/auth-fixtures';
import { createTestApp, MetadataStore, TestApp } from '../harness/test-app';

describe.each<MetadataStore>(['sqlite', 'postgres'])('accounts and sessions (%s)', (store) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ store });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('setup creates the first admin once, then answers 409', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/api/setup' })).json()).toEqual({
      setupRequired: true,
    });
    const admin = await setupOrReuse(t);
    expect(admin.workspaceId).toMatch(/^[0-9a-f-]{36}$/);
    const again = await t.app.inject({
      method: 'POST',
      url: '/api/setup',
      payload: { email: testEmail(), password: testPassword(), workspaceName: 'Second' },
    });
    expect(again.statusCode).toBe(409);
    expect((await t.app.inject({ method: 'GET', url: '/api/setup' })).json()).toEqual({
      setupRequired: false,
    });
  });

  it('sets an httpOnly SameSite=Lax session cookie', async () => {
    const admin = await setupOrReuse(t);
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: admin.email, password: admin.password },
    });
    const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? []).join('\n');
    expect(cookie).toMatch(/bastion_session=/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
  });

  it('GET /api/me returns the user, memberships and the CSRF token, never the hash', async () => {
    const admin = await setupOrReuse(t);
    const res = await call(t, admin, 'GET', '/api/me');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.user.email).toBe(admin.email);
    expect(body.memberships).toContainEqual({
      workspaceId: admin.workspaceId,
      workspaceName: 'Acme',
      role: 'admin',
    });
    expect(body.csrfToken).toBe(admin.csrfToken);
    expect(res.body).not.toMatch(/argon2|passwordHash|password_hash/);
  });

  it('the same generic error for an unknown email and a wrong password', async () => {
    const admin = await setupOrReuse(t);
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: admin.email, password: 'wrong-password-123' },
    });
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: testEmail(), password: 'wrong-password-123' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json().message).toBe(unknown.json().message);
  });

  it('refuses weak passwords with a message naming the field', async () => {
    const admin = await setupOrReuse(t);
    const { token } = await invite(t, admin, admin.workspaceId, testEmail(), 'viewer');
    for (const password of ['short-pw', 'password1234']) {
      const res = await call(t, undefined, 'POST', `/api/invitations/${token}/accept`, {
        password,
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toMatch(/^password: /);
    }
  });

  it('names invalid fields in a 400', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'nope', password: '' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/email: /);
    expect(res.json().message).toMatch(/password: /);
  });

  it('requires a session (401) and the CSRF token on writes (403)', async () => {
    const admin = await setupOrReuse(t);
    expect((await t.app.inject({ method: 'GET', url: '/api/me' })).statusCode).toBe(401);
    const noCsrf = await t.app.inject({
      method: 'POST',
      url: '/api/workspaces',
      headers: { cookie: admin.cookie },
      payload: { name: 'X' },
    });
    expect(noCsrf.statusCode).toBe(403);
    const wrongCsrf = await t.app.inject({
      method: 'POST',
      url: '/api/workspaces',
      headers: { cookie: admin.cookie, 'x-csrf-token': 'forged' },
      payload: { name: 'X' },
    });
    expect(wrongCsrf.statusCode).toBe(403);
    const other = await login(t, admin.email, admin.password);
    const otherSessionsToken = await t.app.inject({
      method: 'POST',
      url: '/api/workspaces',
      headers: { cookie: admin.cookie, 'x-csrf-token': other.csrfToken },
      payload: { name: 'X' },
    });
    expect(otherSessionsToken.statusCode).toBe(403);
  });

  it('logout revokes the session', async () => {
    const admin = await setupOrReuse(t);
    const s = await login(t, admin.email, admin.password);
    expect((await call(t, s, 'POST', '/api/auth/logout')).statusCode).toBe(204);
    expect((await call(t, s, 'GET', '/api/me')).statusCode).toBe(401);
    expect((await call(t, admin, 'GET', '/api/me')).statusCode).toBe(200);
  });

  it('an idle or expired session is refused', async () => {
    const admin = await setupOrReuse(t);
    const idle = await login(t, admin.email, admin.password);
    const expired = await login(t, admin.email, admin.password);
    // Age the sessions directly in the store (there is no API for it, on purpose).
    const sessions = t.app.get(DataSource).getRepository(SessionEntity);
    const idOf = (s: TestSession) => sessionIdFor(s.cookie.split('=')[1]);
    await sessions.update(
      { id: idOf(idle) },
      { lastSeenAt: new Date(Date.now() - SESSION_IDLE_MS - 1000) },
    );
    await sessions.update({ id: idOf(expired) }, { expiresAt: new Date(Date.now() - 1000) });
    expect((await call(t, idle, 'GET', '/api/me')).statusCode).toBe(401);
    expect((await call(t, expired, 'GET', '/api/me')).statusCode).toBe(401);
    expect((await call(t, admin, 'GET', '/api/me')).statusCode).toBe(200);
  });

  it('stores only the hash of the session token', async () => {
    if (store !== 'postgres') return;
    const admin = await setupOrReuse(t);
    const client = new Client({ connectionString: t.databaseUrl });
    await client.connect();
    const { rows } = await client.query<{ id: string }>('SELECT id FROM sessions');
    await client.end();
    const token = admin.cookie.split('=')[1];
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.some((r) => r.id === token)).toBe(false);
  });

  it('roles: admin manages members, others cannot; the last admin stays', async () => {
    const admin = await setupOrReuse(t);
    const editor = await addMember(t, admin, admin.workspaceId, 'editor');
    const viewer = await addMember(t, admin, admin.workspaceId, 'viewer');
    const url = `/api/workspaces/${admin.workspaceId}/members`;
    expect((await call(t, admin, 'GET', url)).statusCode).toBe(200);
    expect((await call(t, editor, 'GET', url)).statusCode).toBe(403);
    expect((await call(t, viewer, 'GET', url)).statusCode).toBe(403);
    expect((await call(t, viewer, 'GET', `/api/workspaces/${admin.workspaceId}`)).json().role).toBe(
      'viewer',
    );
    const invitations = `/api/workspaces/${admin.workspaceId}/invitations`;
    for (const who of [editor, viewer]) {
      expect(
        (await call(t, who, 'POST', invitations, { email: testEmail(), role: 'admin' })).statusCode,
      ).toBe(403);
    }
    const demote = await call(t, admin, 'PATCH', `${url}/${admin.userId}`, { role: 'viewer' });
    expect(demote.statusCode).toBe(409);
    const promote = await call(t, admin, 'PATCH', `${url}/${viewer.userId}`, { role: 'editor' });
    expect(promote.json().role).toBe('editor');
    const dup = await call(t, admin, 'POST', invitations, { email: editor.email, role: 'viewer' });
    expect(dup.statusCode).toBe(409);
  });

  it('another workspace is a 404, never a 403', async () => {
    const admin = await setupOrReuse(t);
    const other = await otherWorkspace(t);
    for (const path of ['', '/members']) {
      const res = await call(t, admin, 'GET', `/api/workspaces/${other.workspaceId}${path}`);
      expect(res.statusCode).toBe(404);
      const mine = await call(t, other, 'GET', `/api/workspaces/${admin.workspaceId}${path}`);
      expect(mine.statusCode).toBe(404);
    }
    expect((await call(t, admin, 'GET', '/api/workspaces/not-a-uuid')).statusCode).toBe(404);
    const me = (await call(t, other, 'GET', '/api/me')).json();
    expect(me.memberships.map((m: { workspaceId: string }) => m.workspaceId)).not.toContain(
      admin.workspaceId,
    );
  });
});
