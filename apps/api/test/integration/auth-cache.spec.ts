import { Writable } from 'node:stream';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.factory';
import { SessionCache } from '../../src/auth/session-cache';
import { AUTH_CACHE_TTL_MS } from '../../src/auth/short-lived-cache';
import { WorkspaceRepository } from '../../src/workspaces/workspace.repository';
import { addMember, call, login, setupOrReuse, testPassword } from '../harness/auth-fixtures';
import { createTestApp, MetadataStore, TestApp } from '../harness/test-app';

/**
 * The session and membership caches of the request pipeline (auth/README.md): every write that
 * revokes or narrows access takes effect on the next request of this replica, even when the
 * session or membership was cached a moment before; another replica follows within
 * AUTH_CACHE_TTL_MS.
 */
describe.each<MetadataStore>(['sqlite', 'postgres'])('auth caches and revocation (%s)', (store) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      store,
      env: { LOGIN_LIMIT_PER_ACCOUNT: '1000', LOGIN_LIMIT_PER_ADDRESS: '10000' },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('serves a warm session from the cache, and logout ends it at once', async () => {
    const admin = await setupOrReuse(t);
    const s = await login(t, admin.email, admin.password);
    expect((await call(t, s, 'GET', '/api/me')).statusCode).toBe(200);
    expect(t.app.get(SessionCache).size).toBeGreaterThan(0);
    expect((await call(t, s, 'POST', '/api/auth/logout')).statusCode).toBe(204);
    expect((await call(t, s, 'GET', '/api/me')).statusCode).toBe(401);
    expect((await call(t, admin, 'GET', '/api/me')).statusCode).toBe(200);
  });

  it('sign out everywhere ends every cached session of the user at once', async () => {
    const admin = await setupOrReuse(t);
    const member = await addMember(t, admin, admin.workspaceId, 'viewer');
    const second = await login(t, member.email, member.password);
    for (const s of [member, second]) {
      expect((await call(t, s, 'GET', `/api/workspaces/${admin.workspaceId}`)).statusCode).toBe(
        200,
      );
    }
    expect((await call(t, member, 'POST', '/api/auth/sessions/revoke-all')).statusCode).toBe(204);
    for (const s of [member, second]) {
      expect((await call(t, s, 'GET', '/api/me')).statusCode).toBe(401);
    }
  });

  it('a password change ends the other cached sessions at once', async () => {
    const admin = await setupOrReuse(t);
    const member = await addMember(t, admin, admin.workspaceId, 'viewer');
    const other = await login(t, member.email, member.password);
    expect((await call(t, other, 'GET', '/api/me')).statusCode).toBe(200);
    const res = await call(t, member, 'POST', '/api/auth/password', {
      currentPassword: member.password,
      newPassword: testPassword(),
    });
    expect(res.statusCode).toBeLessThan(300);
    expect((await call(t, other, 'GET', '/api/me')).statusCode).toBe(401);
    expect((await call(t, member, 'GET', '/api/me')).statusCode).toBe(200);
  });

  it('a role change takes effect on the next request', async () => {
    const admin = await setupOrReuse(t);
    const member = await addMember(t, admin, admin.workspaceId, 'viewer');
    const audit = `/api/workspaces/${admin.workspaceId}/audit-events`;
    const setRole = (role: string) =>
      call(t, admin, 'PATCH', `/api/workspaces/${admin.workspaceId}/members/${member.userId}`, {
        role,
      });
    expect((await call(t, member, 'GET', audit)).statusCode).toBe(403);
    expect((await setRole('admin')).statusCode).toBe(200);
    expect((await call(t, member, 'GET', audit)).statusCode).toBe(200);
    expect((await call(t, member, 'GET', audit)).statusCode).toBe(200); // now cached as admin
    expect((await setRole('viewer')).statusCode).toBe(200);
    expect((await call(t, member, 'GET', audit)).statusCode).toBe(403);
  });

  it('member removal and a two-factor requirement take effect on the next request', async () => {
    const admin = await setupOrReuse(t);
    const member = await addMember(t, admin, admin.workspaceId, 'viewer');
    const url = `/api/workspaces/${admin.workspaceId}`;
    const workspaces = t.app.get(WorkspaceRepository);
    expect((await call(t, member, 'GET', url)).statusCode).toBe(200);
    // No API route turns the policy on for an admin without two-factor: use the repository.
    await workspaces.updateWorkspace(admin.workspaceId, { requireTwoFactor: true });
    expect((await call(t, member, 'GET', url)).statusCode).toBe(403);
    await workspaces.updateWorkspace(admin.workspaceId, { requireTwoFactor: false });
    expect((await call(t, member, 'GET', url)).statusCode).toBe(200);
    const removed = await call(t, admin, 'DELETE', `${url}/members/${member.userId}`);
    expect(removed.statusCode).toBe(204);
    expect((await call(t, member, 'GET', url)).statusCode).toBe(404);
  });
});

describe('auth caches across two replicas on one PostgreSQL', () => {
  let t: TestApp;
  let second: NestFastifyApplication;
  beforeAll(async () => {
    t = await createTestApp({ store: 'postgres' });
    second = await createApp(t.config, {
      logStream: new Writable({ write: (_c, _e, cb) => cb() }),
    });
  });
  afterAll(async () => {
    await second?.close();
    await t?.close();
  });

  it('a logout on one replica is refused by the other within AUTH_CACHE_TTL_MS', async () => {
    const admin = await setupOrReuse(t);
    const s = await login(t, admin.email, admin.password);
    const onSecond = () =>
      second.inject({ method: 'GET', url: '/api/me', headers: { cookie: s.cookie } });
    expect((await onSecond()).statusCode).toBe(200);
    expect((await call(t, s, 'POST', '/api/auth/logout')).statusCode).toBe(204);
    await new Promise((r) => setTimeout(r, AUTH_CACHE_TTL_MS + 100));
    expect((await onSecond()).statusCode).toBe(401);
  });
});
