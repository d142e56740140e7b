import type { TCreatedInvitation, TInvitation, TInvitationPreview } from '@bastion/contracts';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InstanceAdmins1764400700000 } from '../../src/auth/migrations/1764400700000-instance-admins';
import { InvitationEntity } from '../../src/workspaces/invitation.entity';
import { WorkspaceService } from '../../src/workspaces/workspace.service';
import {
  acceptAsNewAccount,
  addMember,
  call,
  invite,
  login,
  otherWorkspace,
  setupAdmin,
  setupOrReuse,
  testEmail,
  testPassword,
  TestSession,
} from '../harness/auth-fixtures';
import { createTestApp, MetadataStore, TestApp } from '../harness/test-app';

const TOKEN_URL = /^http:\/\/[^/]+\/invite\/([A-Za-z0-9_-]{43})$/;

describe.each<MetadataStore>(['sqlite', 'postgres'])('invitations (%s)', (store) => {
  let t: TestApp;
  let admin: TestSession & { workspaceId: string };
  let wid: string;
  const tokens: string[] = [];

  const preview = (token: string) => call(t, undefined, 'GET', `/api/invitations/${token}`);
  const accept = (token: string, body: object, as?: TestSession) =>
    call(t, as, 'POST', `/api/invitations/${token}/accept`, body);
  const inviteRaw = (as: TestSession, workspaceId: string, email: string, role = 'viewer') =>
    call(t, as, 'POST', `/api/workspaces/${workspaceId}/invitations`, { email, role });
  const invitations = (as: TestSession, workspaceId: string) =>
    call(t, as, 'GET', `/api/workspaces/${workspaceId}/invitations`);
  const membershipsOf = async (s: TestSession) =>
    (await call(t, s, 'GET', '/api/me'))
      .json<{ memberships: { workspaceId: string; role: string }[] }>()
      .memberships.map((m) => `${m.workspaceId}:${m.role}`);
  const openCreation = async (to: 'everyone' | 'instance_admins') => {
    const res = await call(t, admin, 'PATCH', '/api/instance/settings', {
      workspaceCreation: to,
    });
    expect(res.statusCode).toBe(200);
  };
  /** Invites and remembers the token for the canary scan at the end. */
  const track = async (workspaceId: string, email: string, role: 'admin' | 'viewer' = 'viewer') => {
    const created = await invite(t, admin, workspaceId, email, role);
    tokens.push(created.token);
    return created;
  };

  beforeAll(async () => {
    t = await createTestApp({ store, env: { LOGIN_LIMIT_PER_ADDRESS: '1000' } });
    admin = await setupOrReuse(t);
    wid = admin.workspaceId;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('POST /members never attaches an account: 400 naming invitations, with or without a password', async () => {
    const email = testEmail('direct');
    for (const body of [
      { email, password: testPassword(), role: 'admin' },
      { email, role: 'viewer' },
      {},
    ]) {
      const res = await call(t, admin, 'POST', `/api/workspaces/${wid}/members`, body);
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toBe(
        `members are added by invitation: POST /api/workspaces/${wid}/invitations`,
      );
    }
    // No account was made: a later invitation of that email needs one created.
    const { token } = await track(wid, email);
    expect((await preview(token)).json<TInvitationPreview>().accountRequired).toBe(true);
  });

  it.each([
    ['the same spelling', (e: string) => e],
    ['other case and whitespace', (e: string) => `  ${e.toUpperCase()} `],
    ['a +tag', (e: string) => e.replace('@', '+tag@')],
  ])(
    'pre-hijack (%s): an account made through one workspace gains nothing in another',
    async (_n, spell) => {
      // The attacker runs their own workspace (creation opened to everyone for this).
      const attacker = await addMember(t, admin, wid, 'viewer');
      await openCreation('everyone');
      const own = await call(t, attacker, 'POST', '/api/workspaces', { name: 'Attacker Co' });
      await openCreation('instance_admins');
      expect(own.statusCode).toBe(201);
      const attackerWs = own.json<{ id: string }>().id;
      const victim = testEmail('victim');

      // The old move: "add a member" with a password of their choosing. Refused, nothing made.
      const old = await call(t, attacker, 'POST', `/api/workspaces/${attackerWs}/members`, {
        email: spell(victim),
        password: 'Attacker-chosen-pw-1',
        role: 'viewer',
      });
      expect(old.statusCode).toBe(400);
      // The new move: invite the victim's email and open the link themself.
      const planted = await invite(t, attacker, attackerWs, spell(victim), 'viewer');
      tokens.push(planted.token);
      const plantedEmail = spell(victim).trim().toLowerCase();
      const hijacker = await acceptAsNewAccount(
        t,
        planted.token,
        plantedEmail,
        'Attacker-chosen-pw-1',
      );

      // Later the real admin invites the victim; the answer has the same shape as for anyone.
      const real = await inviteRaw(admin, wid, victim, 'editor');
      expect(real.statusCode).toBe(201);
      const realToken = TOKEN_URL.exec(real.json<TCreatedInvitation>().inviteUrl)?.[1] ?? '';
      tokens.push(realToken);

      // The planted account sees nothing here: no membership, no invitation listed to it, 404.
      expect(await membershipsOf(hijacker)).toEqual([`${attackerWs}:viewer`]);
      expect((await call(t, hijacker, 'GET', `/api/workspaces/${wid}`)).statusCode).toBe(404);
      // Their own (used) link does not join them anywhere else.
      expect((await accept(planted.token, {}, hijacker)).statusCode).toBe(410);
      if (plantedEmail === victim) {
        // Same email: a password cannot take the real link; only a session of the account could
        // accept, and it needs the link, which went to the victim. Another account: 403;
        // anonymous: 401.
        const byPassword = await accept(realToken, { password: 'Attacker-chosen-pw-2' });
        expect(byPassword.statusCode).toBe(400);
        expect((await accept(realToken, {}, attacker)).statusCode).toBe(403);
        expect((await accept(realToken, {})).statusCode).toBe(401);
        expect((await membershipsOf(hijacker)).join()).not.toContain(wid);
      } else {
        // Another spelling is another address: the real link makes the victim's own account.
        expect((await preview(realToken)).json<TInvitationPreview>().accountRequired).toBe(true);
        const victimSession = await acceptAsNewAccount(t, realToken, victim, testPassword());
        expect(await membershipsOf(victimSession)).toEqual([`${wid}:editor`]);
        expect(await membershipsOf(hijacker)).toEqual([`${attackerWs}:viewer`]);
      }
    },
  );

  it('create, list (no token), preview, accept once: the membership exists only after acceptance', async () => {
    const email = testEmail('life');
    const res = await inviteRaw(admin, wid, email, 'editor');
    expect(res.statusCode).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json<TCreatedInvitation>();
    expect(Object.keys(body).sort()).toEqual(['email', 'expiresAt', 'id', 'inviteUrl', 'role']);
    expect(body).toMatchObject({ email, role: 'editor' });
    const token = TOKEN_URL.exec(body.inviteUrl)?.[1] ?? '';
    expect(token).toHaveLength(43);
    tokens.push(token);
    const days = (Date.parse(body.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.99);
    expect(days).toBeLessThanOrEqual(7);

    const listed = (await invitations(admin, wid)).json<TInvitation[]>();
    const mine = listed.find((i) => i.id === body.id);
    expect(mine).toMatchObject({ email, role: 'editor', expired: false });
    expect(JSON.stringify(listed)).not.toContain(token);
    expect(JSON.stringify(listed)).not.toContain('inviteUrl');
    // Not a member until accepted.
    const members = await call(t, admin, 'GET', `/api/workspaces/${wid}/members`);
    expect(members.body).not.toContain(email);

    expect((await preview(token)).json()).toEqual({
      workspaceName: 'Acme',
      role: 'editor',
      email,
      expiresAt: body.expiresAt,
      accountRequired: true,
    });
    // Password required, policy applies, then the account, membership and session exist.
    expect((await accept(token, {})).json().message).toMatch(/^password: is required/);
    expect((await accept(token, { password: 'short' })).json().message).toMatch(/^password: /);
    const session = await acceptAsNewAccount(t, token, email, testPassword());
    expect(await membershipsOf(session)).toEqual([`${wid}:editor`]);
    expect(
      (await call(t, session, 'POST', `/api/workspaces/${wid}/apps`, { name: 'x' })).statusCode,
    ).toBe(201);
    // The person's own history starts with the account (their Account page, "Recent sign-ins").
    const own = (await call(t, session, 'GET', '/api/me/audit-events')).json<{
      items: { action: string; workspaceId: string | null; details: Record<string, unknown> }[];
    }>().items;
    expect(own.map((e) => [e.action, e.workspaceId, e.details.via])).toEqual([
      ['auth.account_created', null, 'invitation'],
    ]);
    // Single use.
    const again = await accept(token, { password: testPassword() });
    expect(again.statusCode).toBe(410);
    expect(again.json().message).toMatch(/already used/);
    expect((await preview(token)).statusCode).toBe(410);
    expect((await invitations(admin, wid)).json<TInvitation[]>().map((i) => i.id)).not.toContain(
      body.id,
    );
  });

  it('resend gives a new link and kills the old one; revoke kills the link', async () => {
    const first = await track(wid, testEmail('resend'));
    const res = await call(
      t,
      admin,
      'POST',
      `/api/workspaces/${wid}/invitations/${first.id}/resend`,
    );
    expect(res.statusCode).toBe(201);
    const second = res.json<TCreatedInvitation>();
    expect(second.id).toBe(first.id);
    const token2 = TOKEN_URL.exec(second.inviteUrl)?.[1] ?? '';
    tokens.push(token2);
    expect(token2).not.toBe(first.token);
    expect((await preview(first.token)).statusCode).toBe(404);
    expect((await preview(token2)).statusCode).toBe(200);

    const revoked = await call(
      t,
      admin,
      'DELETE',
      `/api/workspaces/${wid}/invitations/${first.id}`,
    );
    expect(revoked.statusCode).toBe(204);
    const gone = await preview(token2);
    expect(gone.statusCode).toBe(410);
    expect(gone.json().message).toMatch(/revoked/);
    expect((await accept(token2, { password: testPassword() })).statusCode).toBe(410);
    expect(
      (await call(t, admin, 'DELETE', `/api/workspaces/${wid}/invitations/${first.id}`)).statusCode,
    ).toBe(404);
    expect(
      (await call(t, admin, 'POST', `/api/workspaces/${wid}/invitations/${first.id}/resend`))
        .statusCode,
    ).toBe(404);
    // Inviting the same email again replaces a pending invitation (one live link per email).
    const email = testEmail('twice');
    const a = await track(wid, email);
    const b = await track(wid, email);
    expect((await preview(a.token)).statusCode).toBe(410);
    expect((await preview(b.token)).statusCode).toBe(200);
    const pending = (await invitations(admin, wid)).json<TInvitation[]>();
    expect(pending.filter((i) => i.email === email).map((i) => i.id)).toEqual([b.id]);
    // Also when the invites arrive at once.
    const raced = testEmail('raced');
    const answers = await Promise.all([1, 2, 3].map(() => inviteRaw(admin, wid, raced)));
    expect(answers.map((r) => r.statusCode)).toEqual([201, 201, 201]);
    for (const r of answers) {
      tokens.push(TOKEN_URL.exec(r.json<TCreatedInvitation>().inviteUrl)?.[1] ?? '');
    }
    const live = (await invitations(admin, wid)).json<TInvitation[]>();
    expect(live.filter((i) => i.email === raced)).toHaveLength(1);
  });

  it('an expired link is refused (410) and listed as expired; resend revives it', async () => {
    const created = await track(wid, testEmail('expiry'));
    await t.app
      .get(DataSource)
      .getRepository(InvitationEntity)
      .update({ id: created.id }, { expiresAt: new Date(Date.now() - 1000) });
    const res = await preview(created.token);
    expect(res.statusCode).toBe(410);
    expect(res.json().message).toMatch(/expired/);
    expect((await accept(created.token, { password: testPassword() })).statusCode).toBe(410);
    const listed = (await invitations(admin, wid)).json<TInvitation[]>();
    expect(listed.find((i) => i.id === created.id)?.expired).toBe(true);
    const resent = await call(
      t,
      admin,
      'POST',
      `/api/workspaces/${wid}/invitations/${created.id}/resend`,
    );
    const token = TOKEN_URL.exec(resent.json<TCreatedInvitation>().inviteUrl)?.[1] ?? '';
    tokens.push(token);
    expect((await preview(token)).statusCode).toBe(200);
  });

  it('unknown or malformed links are 404', async () => {
    for (const token of ['x', 'A'.repeat(43), 'A'.repeat(300)]) {
      expect((await preview(token)).statusCode).toBe(404);
      expect((await accept(token, { password: testPassword() })).statusCode).toBe(404);
    }
  });

  it('the public link routes are rate limited per token (429 with Retry-After)', async () => {
    const { token } = await track(wid, testEmail('limited'));
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await preview(token)).statusCode);
    expect(statuses).toEqual([...Array<number>(10).fill(200), 429]);
    const blocked = await preview(token);
    expect(blocked.headers['retry-after']).toBeTruthy();
    // Another link has its own counter.
    const other = await track(wid, testEmail('unlimited'));
    expect((await preview(other.token)).statusCode).toBe(200);
  });

  it('concurrent accepts of one link: exactly one wins', async () => {
    const email = testEmail('race');
    const { token } = await track(wid, email);
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) => accept(token, { password: `Racing-password-${i}-long` })),
    );
    const statuses = results.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([200, 410, 410, 410, 410]);
    const winner = results.findIndex((r) => r.statusCode === 200);
    await login(t, email, `Racing-password-${winner}-long`);
    const count = await t.app
      .get(DataSource)
      .query(`SELECT count(*) AS n FROM users WHERE email = '${email}'`);
    expect(Number((count as { n: number | string }[])[0].n)).toBe(1);
  });

  it('an existing account accepts only while signed in as itself, without a password', async () => {
    const member = await addMember(t, admin, wid, 'viewer');
    const other = await addMember(t, admin, wid, 'viewer');
    const second = await call(t, admin, 'POST', '/api/workspaces', { name: 'Second' });
    const secondId = second.json<{ id: string }>().id;
    const { token } = await track(secondId, member.email, 'admin');
    expect((await preview(token)).json<TInvitationPreview>()).toMatchObject({
      workspaceName: 'Second',
      role: 'admin',
      email: member.email,
      accountRequired: false,
    });
    const withPassword = await accept(token, { password: testPassword() });
    expect(withPassword.statusCode).toBe(400);
    expect(withPassword.json().message).toMatch(/^password: /);
    expect((await accept(token, { password: testPassword() }, member)).statusCode).toBe(400);
    expect((await accept(token, {})).statusCode).toBe(401);
    const wrong = await accept(token, {}, other);
    expect(wrong.statusCode).toBe(403);
    expect(await membershipsOf(other)).toEqual([`${wid}:viewer`]);
    const noCsrf = await t.app.inject({
      method: 'POST',
      url: `/api/invitations/${token}/accept`,
      headers: { cookie: member.cookie },
      payload: {},
    });
    expect(noCsrf.statusCode).toBe(403);
    const ok = await accept(token, {}, member);
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({
      workspaceId: secondId,
      role: 'admin',
      csrfToken: member.csrfToken,
    });
    expect(ok.headers['set-cookie']).toBeUndefined();
    expect((await membershipsOf(member)).sort()).toEqual(
      [`${secondId}:admin`, `${wid}:viewer`].sort(),
    );
    expect((await accept(token, {}, member)).statusCode).toBe(410);
  });

  it('no account oracle: the invite answer is the same for an existing and a new email', async () => {
    const existing = await addMember(t, admin, wid, 'viewer');
    const third = await call(t, admin, 'POST', '/api/workspaces', { name: 'Third' });
    const thirdId = third.json<{ id: string }>().id;
    const a = await inviteRaw(admin, thirdId, existing.email);
    const b = await inviteRaw(admin, thirdId, testEmail('fresh'));
    expect(a.statusCode).toBe(b.statusCode);
    const shape = (r: typeof a) =>
      Object.entries(r.json<Record<string, unknown>>())
        .map(([k, v]) => `${k}:${typeof v}`)
        .sort();
    expect(shape(a)).toEqual(shape(b));
    for (const r of [a, b])
      tokens.push(TOKEN_URL.exec(r.json<TCreatedInvitation>().inviteUrl)?.[1] ?? '');
    // Setup and login say nothing about an email either.
    const setupA = await call(t, undefined, 'POST', '/api/setup', {
      email: existing.email,
      password: testPassword(),
      workspaceName: 'x',
    });
    const setupB = await call(t, undefined, 'POST', '/api/setup', {
      email: testEmail('nobody'),
      password: testPassword(),
      workspaceName: 'x',
    });
    expect([setupA.statusCode, setupA.json().message]).toEqual([
      setupB.statusCode,
      setupB.json().message,
    ]);
    // Already a member is a 409: admins see their members list anyway.
    expect((await inviteRaw(admin, wid, existing.email)).statusCode).toBe(409);
  });

  it('tenancy: another workspace cannot list, resend or revoke these invitations; a link joins only its workspace', async () => {
    const outsider = await otherWorkspace(t);
    const { id, token } = await track(wid, testEmail('tenant'));
    const base = `/api/workspaces/${wid}/invitations`;
    expect((await call(t, outsider, 'GET', base)).statusCode).toBe(404);
    expect(
      (await call(t, outsider, 'POST', base, { email: testEmail(), role: 'admin' })).statusCode,
    ).toBe(404);
    expect((await call(t, outsider, 'POST', `${base}/${id}/resend`)).statusCode).toBe(404);
    expect((await call(t, outsider, 'DELETE', `${base}/${id}`)).statusCode).toBe(404);
    // Through their own workspace's routes, this workspace's invitation id is unknown.
    const theirs = `/api/workspaces/${outsider.workspaceId}/invitations`;
    expect((await call(t, outsider, 'POST', `${theirs}/${id}/resend`)).statusCode).toBe(404);
    expect((await call(t, outsider, 'DELETE', `${theirs}/${id}`)).statusCode).toBe(404);
    expect(JSON.stringify((await call(t, outsider, 'GET', theirs)).json())).not.toContain(id);
    expect((await preview(token)).statusCode).toBe(200);
    // A link of workspace B joins B only.
    const b = await invite(t, outsider, outsider.workspaceId, testEmail('b-joiner'), 'editor');
    tokens.push(b.token);
    const joiner = await acceptAsNewAccount(t, b.token, 'b-joiner', testPassword());
    expect(await membershipsOf(joiner)).toEqual([`${outsider.workspaceId}:editor`]);
    expect((await call(t, joiner, 'GET', `/api/workspaces/${wid}`)).statusCode).toBe(404);
  });

  it('viewers and editors cannot invite or see invitations (403)', async () => {
    const editor = await addMember(t, admin, wid, 'editor');
    const viewer = await addMember(t, admin, wid, 'viewer');
    for (const s of [editor, viewer]) {
      expect((await inviteRaw(s, wid, testEmail())).statusCode).toBe(403);
      expect((await invitations(s, wid)).statusCode).toBe(403);
    }
  });

  it('workspace creation: instance admins only by default; an instance admin opens it', async () => {
    const member = await addMember(t, admin, wid, 'viewer');
    const me = (s: TestSession) =>
      call(t, s, 'GET', '/api/me').then((r) =>
        r.json<{ user: { isInstanceAdmin: boolean }; canCreateWorkspaces: boolean }>(),
      );
    expect(await me(admin)).toMatchObject({
      user: { isInstanceAdmin: true },
      canCreateWorkspaces: true,
    });
    expect(await me(member)).toMatchObject({
      user: { isInstanceAdmin: false },
      canCreateWorkspaces: false,
    });
    const refused = await call(t, member, 'POST', '/api/workspaces', { name: 'Mine' });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().message).toMatch(/workspaceCreation/);
    // Only instance admins read or change the setting.
    expect((await call(t, member, 'GET', '/api/instance/settings')).statusCode).toBe(403);
    expect(
      (await call(t, member, 'PATCH', '/api/instance/settings', { workspaceCreation: 'everyone' }))
        .statusCode,
    ).toBe(403);
    expect((await call(t, admin, 'GET', '/api/instance/settings')).json()).toEqual({
      workspaceCreation: 'instance_admins',
    });
    const bad = await call(t, admin, 'PATCH', '/api/instance/settings', { workspaceCreation: 'x' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/workspaceCreation/);
    await openCreation('everyone');
    expect((await me(member)).canCreateWorkspaces).toBe(true);
    expect((await call(t, member, 'POST', '/api/workspaces', { name: 'Mine' })).statusCode).toBe(
      201,
    );
    await openCreation('instance_admins');
    expect((await call(t, member, 'POST', '/api/workspaces', { name: 'Mine 2' })).statusCode).toBe(
      403,
    );
    const audit = await t.app
      .get(DataSource)
      .query(`SELECT details FROM audit_events WHERE action = 'instance.settings_changed'`);
    expect((audit as unknown[]).length).toBeGreaterThanOrEqual(2);
    // `admin create` makes an instance admin.
    const email = testEmail('operator');
    const password = testPassword();
    await t.app.get(WorkspaceService).createAdmin(email, password, 'Operated');
    expect((await me(await login(t, email, password))).user.isInstanceAdmin).toBe(true);
  });

  it('existing data: the migration makes the oldest account the only instance admin', async () => {
    const later = await addMember(t, admin, wid, 'admin');
    const dataSource = t.app.get(DataSource);
    const runner = dataSource.createQueryRunner();
    try {
      const migration = new InstanceAdmins1764400700000();
      await migration.down(runner);
      await migration.up(runner);
    } finally {
      await runner.release();
    }
    const rows = await dataSource.query<{ id: string }[]>(
      'SELECT id FROM users WHERE is_instance_admin = true',
    );
    expect(rows.map((r) => r.id)).toEqual([admin.userId]);
    expect(rows.map((r) => r.id)).not.toContain(later.userId);
  });

  it('canary: no token in a list, an audit entry, a log line or the metadata store', async () => {
    expect(tokens.length).toBeGreaterThan(10);
    const dataSource = t.app.get(DataSource);
    const audit = JSON.stringify(await dataSource.query('SELECT * FROM audit_events'));
    const rows = JSON.stringify(await dataSource.query('SELECT * FROM invitations'));
    const list = (await invitations(admin, wid)).body;
    const logs = t.logs.join('\n');
    expect(audit).toContain('invitation.created');
    expect(audit).toContain('invitation.accepted');
    expect(audit).toContain('invitation.revoked');
    expect(logs).toContain('/api/invitations/[redacted]');
    for (const token of tokens) {
      expect(audit).not.toContain(token);
      expect(rows).not.toContain(token);
      expect(list).not.toContain(token);
      expect(logs).not.toContain(token);
    }
  });
});

describe('invitation links: the origin', () => {
  it('follows X-Forwarded-* only from a trusted proxy (TRUST_PROXY), else the Host header', async () => {
    for (const trustProxy of ['127.0.0.1', '']) {
      const t = await createTestApp({
        env: { TRUST_PROXY: trustProxy, ALLOWED_HOSTS: 'internal' },
      });
      try {
        const admin = await setupAdmin(t);
        const res = await t.app.inject({
          method: 'POST',
          url: `/api/workspaces/${admin.workspaceId}/invitations`,
          remoteAddress: '127.0.0.1',
          headers: {
            cookie: admin.cookie,
            'x-csrf-token': admin.csrfToken,
            host: 'internal:3000',
            'x-forwarded-proto': 'https',
            'x-forwarded-host': 'bastion.example',
          },
          payload: { email: testEmail(), role: 'viewer' },
        });
        expect(res.statusCode).toBe(201);
        const origin = new URL(res.json<TCreatedInvitation>().inviteUrl).origin;
        expect(origin).toBe(trustProxy ? 'https://bastion.example' : 'http://internal:3000');
      } finally {
        await t.close();
      }
    }
  });
});
