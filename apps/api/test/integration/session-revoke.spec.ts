import type { TAuditEventPage, TSessionListResponse } from '@bastion/contracts';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionPublicIds1764400600000 } from '../../src/auth/migrations/1764400600000-session-public-ids';
import { sessionIdFor } from '../../src/auth/session-token';
import { addMember, call, login, setupOrReuse, TestSession } from '../harness/auth-fixtures';
import { createTestApp, MetadataStore, TestApp } from '../harness/test-app';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * `DELETE /api/auth/sessions/:sessionId`: one of the caller's own sessions, named by the public
 * id of the session list (never the token or its hash); effective on the next request.
 */
describe.each<MetadataStore>(['sqlite', 'postgres'])('revoke one session (%s)', (store) => {
  let t: TestApp;
  let admin: TestSession & { workspaceId: string };

  beforeAll(async () => {
    t = await createTestApp({
      store,
      env: { LOGIN_LIMIT_PER_ACCOUNT: '1000', LOGIN_LIMIT_PER_ADDRESS: '10000' },
    });
    admin = await setupOrReuse(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  const tokenOf = (s: TestSession) => s.cookie.split('=')[1];
  const list = async (s: TestSession) => {
    const res = await call(t, s, 'GET', '/api/auth/sessions');
    expect(res.statusCode).toBe(200);
    return res.json<TSessionListResponse>();
  };

  it('lists a public id per session, never the token or its hash', async () => {
    const user = await addMember(t, admin, admin.workspaceId, 'viewer');
    const second = await login(t, user.email, user.password);
    const res = await call(t, user, 'GET', '/api/auth/sessions');
    const sessions = res.json<TSessionListResponse>();
    expect(sessions).toHaveLength(2);
    for (const s of sessions) expect(s.id).toMatch(UUID_V4);
    expect(new Set(sessions.map((s) => s.id)).size).toBe(2);
    for (const secret of [tokenOf(user), tokenOf(second)]) {
      expect(res.body).not.toContain(secret);
      expect(res.body).not.toContain(sessionIdFor(secret));
    }
  });

  it('revokes another session of the caller: it is 401 at once, this one still works', async () => {
    const user = await addMember(t, admin, admin.workspaceId, 'viewer');
    const laptop = await login(t, user.email, user.password);
    // Warm the session cache the revocation must forget.
    expect((await call(t, laptop, 'GET', '/api/me')).statusCode).toBe(200);
    expect((await call(t, laptop, 'GET', '/api/me')).statusCode).toBe(200);
    const before = await list(user);
    const target = before.find((s) => !s.current);
    expect(target).toBeDefined();

    const res = await call(t, user, 'DELETE', `/api/auth/sessions/${target!.id}`);
    expect(res.statusCode).toBe(204);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect((await call(t, laptop, 'GET', '/api/me')).statusCode).toBe(401);
    expect((await call(t, user, 'GET', '/api/me')).statusCode).toBe(200);
    const after = await list(user);
    expect(after.map((s) => s.id)).toEqual(before.filter((s) => s.current).map((s) => s.id));
    // Already revoked: nothing to revoke.
    expect((await call(t, user, 'DELETE', `/api/auth/sessions/${target!.id}`)).statusCode).toBe(
      404,
    );

    // Instance-level entry, visible to the admins of the user's workspaces.
    const audit = await call(
      t,
      admin,
      'GET',
      `/api/workspaces/${admin.workspaceId}/audit-events?action=auth.session_revoked&actor=${user.userId}`,
    );
    const items = audit.json<TAuditEventPage>().items;
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      actor: { userId: user.userId, email: user.email },
      workspaceId: null,
      target: { type: 'user', id: user.userId },
      correlationId: res.headers['x-correlation-id'],
      details: { sessionId: target!.id, current: false },
    });
    expect(audit.body).not.toContain(tokenOf(laptop));
    expect(audit.body).not.toContain(sessionIdFor(tokenOf(laptop)));
  });

  it("another user's session id is 404 and that session keeps working", async () => {
    const user = await addMember(t, admin, admin.workspaceId, 'viewer');
    const stranger = await addMember(t, admin, admin.workspaceId, 'editor');
    const theirs = (await list(stranger))[0];
    const res = await call(t, user, 'DELETE', `/api/auth/sessions/${theirs.id}`);
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ message: 'Session not found' });
    expect(res.json().correlationId).toBeTruthy();
    expect((await call(t, stranger, 'GET', '/api/me')).statusCode).toBe(200);
    for (const id of [
      '00000000-0000-4000-8000-000000000000',
      'not-a-uuid',
      sessionIdFor(tokenOf(user)),
    ]) {
      expect((await call(t, user, 'DELETE', `/api/auth/sessions/${id}`)).statusCode, id).toBe(404);
    }
    expect((await call(t, user, 'GET', '/api/me')).statusCode).toBe(200);
  });

  it('revoking the current session is a logout: cookie cleared, next request 401', async () => {
    const user = await addMember(t, admin, admin.workspaceId, 'viewer');
    const other = await login(t, user.email, user.password);
    const current = (await list(user)).find((s) => s.current);
    const res = await call(t, user, 'DELETE', `/api/auth/sessions/${current!.id}`);
    expect(res.statusCode).toBe(204);
    expect(String(res.headers['set-cookie'])).toMatch(/bastion_session=;/);
    expect((await call(t, user, 'GET', '/api/me')).statusCode).toBe(401);
    expect((await call(t, other, 'GET', '/api/me')).statusCode).toBe(200);
  });

  it('needs the CSRF header (403) and a session (401)', async () => {
    const user = await addMember(t, admin, admin.workspaceId, 'viewer');
    const second = await login(t, user.email, user.password);
    const target = (await list(user)).find((s) => !s.current)!;
    const url = `/api/auth/sessions/${target.id}`;
    for (const header of [undefined, 'forged-token', second.csrfToken]) {
      const res = await t.app.inject({
        method: 'DELETE',
        url,
        headers: { cookie: user.cookie, ...(header ? { 'x-csrf-token': header } : {}) },
      });
      expect(res.statusCode).toBe(403);
    }
    expect((await call(t, undefined, 'DELETE', url)).statusCode).toBe(401);
    expect((await call(t, second, 'GET', '/api/me')).statusCode).toBe(200);
  });

  it('the migration gives every existing session its own random public id', async () => {
    await login(t, admin.email, admin.password);
    const ds = t.app.get(DataSource);
    // Re-run it over the rows written so far: the backfill path of an upgrade.
    const migration = new SessionPublicIds1764400600000();
    const runner = ds.createQueryRunner();
    try {
      await migration.down(runner);
      await migration.up(runner);
    } finally {
      await runner.release();
    }
    const rows = await ds.query<{ public_id: string }[]>('SELECT public_id FROM sessions');
    expect(rows.length).toBeGreaterThan(5);
    for (const r of rows) expect(r.public_id).toMatch(UUID_V4);
    expect(new Set(rows.map((r) => r.public_id)).size).toBe(rows.length);
    expect((await call(t, admin, 'GET', '/api/me')).statusCode).toBe(200);
  });
});
