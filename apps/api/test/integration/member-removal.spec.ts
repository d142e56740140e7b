import type { TAuditEventPage, TMember } from '@bastion/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addMember,
  call,
  login,
  otherWorkspace,
  setupOrReuse,
  TestSession,
} from '../harness/auth-fixtures';
import { createTestApp, MetadataStore, TestApp } from '../harness/test-app';

/**
 * `DELETE /api/workspaces/:wid/members/:userId`: admins only, effective on the member's next
 * request (the per-replica access cache is forgotten), the last admin stays, one audit entry.
 */
describe.each<MetadataStore>(['sqlite', 'postgres'])('member removal (%s)', (store) => {
  let t: TestApp;
  let admin: TestSession & { workspaceId: string };
  const memberUrl = (wid: string, userId: string) => `/api/workspaces/${wid}/members/${userId}`;

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

  it('an admin removes a member: 204, their next request is 404 at once, one audit entry', async () => {
    const member = await addMember(t, admin, admin.workspaceId, 'editor');
    const wsUrl = `/api/workspaces/${admin.workspaceId}`;
    // Twice: the second answer comes from the access cache the removal must forget.
    expect((await call(t, member, 'GET', wsUrl)).statusCode).toBe(200);
    expect((await call(t, member, 'GET', `${wsUrl}/apps`)).statusCode).toBe(200);

    const res = await call(t, admin, 'DELETE', memberUrl(admin.workspaceId, member.userId));
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');

    const after = await call(t, member, 'GET', `${wsUrl}/apps`);
    expect(after.statusCode).toBe(404);
    expect(after.json().message).toBe('Workspace not found');
    // The account stays signed in; only this workspace is gone from it.
    const me = await call(t, member, 'GET', '/api/me');
    expect(me.statusCode).toBe(200);
    expect(
      me.json<{ memberships: { workspaceId: string }[] }>().memberships.map((m) => m.workspaceId),
    ).not.toContain(admin.workspaceId);
    const members = (await call(t, admin, 'GET', `${wsUrl}/members`)).json<TMember[]>();
    expect(members.map((m) => m.userId)).not.toContain(member.userId);
    // Removing again: no longer a member.
    const again = await call(t, admin, 'DELETE', memberUrl(admin.workspaceId, member.userId));
    expect(again.statusCode).toBe(404);

    const audit = await call(
      t,
      admin,
      'GET',
      `${wsUrl}/audit-events?action=member.removed&targetId=${member.userId}`,
    );
    const items = audit.json<TAuditEventPage>().items;
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      action: 'member.removed',
      actor: { userId: admin.userId, email: admin.email },
      workspaceId: admin.workspaceId,
      target: { type: 'user', id: member.userId },
      correlationId: res.headers['x-correlation-id'],
      details: { email: member.email, role: 'editor', self: false },
    });
  });

  it('editors and viewers get 403, another workspace 404; nothing is removed', async () => {
    const editor = await addMember(t, admin, admin.workspaceId, 'editor');
    const viewer = await addMember(t, admin, admin.workspaceId, 'viewer');
    const other = await otherWorkspace(t);
    const target = memberUrl(admin.workspaceId, viewer.userId);
    expect((await call(t, editor, 'DELETE', target)).statusCode).toBe(403);
    expect((await call(t, viewer, 'DELETE', target)).statusCode).toBe(403);
    const outsider = await call(t, other, 'DELETE', target);
    expect(outsider.statusCode).toBe(404);
    expect(outsider.json().message).toBe('Workspace not found');
    expect((await call(t, viewer, 'GET', `/api/workspaces/${admin.workspaceId}`)).statusCode).toBe(
      200,
    );

    // A user of another workspace, through this workspace's URL: not a member here, 404.
    const foreign = await call(t, admin, 'DELETE', memberUrl(admin.workspaceId, other.userId));
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json().message).toBe('Member not found');
    // ...and this workspace's admin cannot reach the other workspace's members at all.
    const cross = await call(t, admin, 'DELETE', memberUrl(other.workspaceId, other.userId));
    expect(cross.statusCode).toBe(404);
    expect(cross.json().message).toBe('Workspace not found');
    expect((await call(t, other, 'GET', `/api/workspaces/${other.workspaceId}`)).statusCode).toBe(
      200,
    );
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const res = await call(t, admin, 'DELETE', memberUrl(admin.workspaceId, id));
      expect(res.statusCode, id).toBe(404);
      expect(res.json().correlationId).toBeTruthy();
    }
  });

  it('refuses to remove the last admin, also themself; another admin may leave', async () => {
    // A workspace of its own, so the setup admin's workspace keeps its admin.
    const owner = await otherWorkspace(t);
    const wid = owner.workspaceId;
    const alone = await call(t, owner, 'DELETE', memberUrl(wid, owner.userId));
    expect(alone.statusCode).toBe(409);
    expect(alone.json().message).toMatch(/last admin/);
    expect((await call(t, owner, 'GET', `/api/workspaces/${wid}`)).statusCode).toBe(200);

    const second = await addMember(t, owner, wid, 'admin');
    // With a second admin, an admin may remove themself; their access ends at once.
    expect((await call(t, second, 'GET', `/api/workspaces/${wid}/members`)).statusCode).toBe(200);
    const leave = await call(t, second, 'DELETE', memberUrl(wid, second.userId));
    expect(leave.statusCode).toBe(204);
    expect((await call(t, second, 'GET', `/api/workspaces/${wid}/members`)).statusCode).toBe(404);
    // The one left is the last admin again.
    const last = await call(t, owner, 'DELETE', memberUrl(wid, owner.userId));
    expect(last.statusCode).toBe(409);
    const audit = await call(
      t,
      owner,
      'GET',
      `/api/workspaces/${wid}/audit-events?action=member.removed`,
    );
    // Newest first: `second` leaving; then the setup admin leaving the workspace it created for
    // `owner` (workspaces are created by instance admins, see `otherWorkspace`).
    expect(audit.json<TAuditEventPage>().items).toMatchObject([
      { actor: { userId: second.userId }, details: { self: true, role: 'admin' } },
      { details: { self: true, role: 'admin' } },
    ]);
  });

  it('two admins removing or demoting each other at once leave exactly one admin', async () => {
    for (let round = 0; round < 3; round++) {
      const a = await otherWorkspace(t);
      const wid = a.workspaceId;
      const b = await addMember(t, a, wid, 'admin');
      const [ab, ba] = await Promise.all([
        call(t, a, 'DELETE', memberUrl(wid, b.userId)),
        call(t, b, 'DELETE', memberUrl(wid, a.userId)),
      ]);
      // The loser is refused by the service (409: last admin) or, when the winner committed
      // before its guard ran, by the guard (404: no longer a member).
      expect([ab.statusCode, ba.statusCode].filter((s) => s === 204)).toHaveLength(1);
      expect([ab.statusCode, ba.statusCode].every((s) => [204, 404, 409].includes(s))).toBe(true);
      const c = await addMember(t, ab.statusCode === 204 ? a : b, wid, 'admin');
      const survivor = ab.statusCode === 204 ? a : b;
      const [sc, cs] = await Promise.all([
        call(t, survivor, 'PATCH', memberUrl(wid, c.userId), { role: 'viewer' }),
        call(t, c, 'PATCH', memberUrl(wid, survivor.userId), { role: 'viewer' }),
      ]);
      // Likewise 409, or 403 from the guard once the loser is no longer an admin.
      expect([sc.statusCode, cs.statusCode].filter((s) => s === 200)).toHaveLength(1);
      expect([sc.statusCode, cs.statusCode].every((s) => [200, 403, 409].includes(s))).toBe(true);
      const keeper = sc.statusCode === 200 ? survivor : c;
      const members = await call(t, keeper, 'GET', `/api/workspaces/${wid}/members`);
      expect(members.json<TMember[]>().filter((m) => m.role === 'admin')).toHaveLength(1);
    }
  });

  it('the same removal sent twice at once: one 204, one 404, one audit entry, no 500', async () => {
    for (let round = 0; round < 3; round++) {
      const member = await addMember(t, admin, admin.workspaceId, 'viewer');
      const target = memberUrl(admin.workspaceId, member.userId);
      const answers = await Promise.all([
        call(t, admin, 'DELETE', target),
        call(t, admin, 'DELETE', target),
      ]);
      expect(answers.map((r) => r.statusCode).sort()).toEqual([204, 404]);
      const audit = await call(
        t,
        admin,
        'GET',
        `/api/workspaces/${admin.workspaceId}/audit-events?action=member.removed&targetId=${member.userId}`,
      );
      expect(audit.json<TAuditEventPage>().items).toHaveLength(1);
    }
  });

  it('two members removed at once: both 204, each with its audit entry', async () => {
    const one = await addMember(t, admin, admin.workspaceId, 'viewer');
    const two = await addMember(t, admin, admin.workspaceId, 'editor');
    const answers = await Promise.all(
      [one, two].map((m) => call(t, admin, 'DELETE', memberUrl(admin.workspaceId, m.userId))),
    );
    expect(answers.map((r) => r.statusCode)).toEqual([204, 204]);
    const members = await call(t, admin, 'GET', `/api/workspaces/${admin.workspaceId}/members`);
    const left = members.json<TMember[]>().map((m) => m.userId);
    expect(left).not.toContain(one.userId);
    expect(left).not.toContain(two.userId);
    for (const m of [one, two]) {
      const audit = await call(
        t,
        admin,
        'GET',
        `/api/workspaces/${admin.workspaceId}/audit-events?action=member.removed&targetId=${m.userId}`,
      );
      expect(audit.json<TAuditEventPage>().items).toHaveLength(1);
    }
  });

  it('needs the CSRF header (403) and a session (401)', async () => {
    const member = await addMember(t, admin, admin.workspaceId, 'viewer');
    const url = memberUrl(admin.workspaceId, member.userId);
    for (const header of [undefined, 'forged-token']) {
      const res = await t.app.inject({
        method: 'DELETE',
        url,
        headers: { cookie: admin.cookie, ...(header ? { 'x-csrf-token': header } : {}) },
      });
      expect(res.statusCode).toBe(403);
      expect(res.json().message).toMatch(/x-csrf-token/);
    }
    expect((await call(t, undefined, 'DELETE', url)).statusCode).toBe(401);
    const fresh = await login(t, member.email, member.password);
    expect((await call(t, fresh, 'GET', `/api/workspaces/${admin.workspaceId}`)).statusCode).toBe(
      200,
    );
  });
});
