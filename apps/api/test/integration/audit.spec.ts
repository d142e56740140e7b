import type { TAuditEvent, TAuditEventPage, TWorkspaceAuditVerifyResult } from '@bastion/contracts';
import { DataSource, IsNull } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditPruneCommand, auditVerifyCommand } from '../../src/audit/audit.commands';
import { computeAuditHash } from '../../src/audit/audit-hash';
import { installAuditGuards, removeAuditGuards } from '../../src/audit/migrations/audit-guards';
import { AuditCheckpointEntity } from '../../src/audit/audit-checkpoint.entity';
import { AuditEventEntity } from '../../src/audit/audit-event.entity';
import { AuditRetentionService } from '../../src/audit/audit-retention.service';
import { AuditService } from '../../src/audit/audit.service';
import { AuditVerifyService } from '../../src/audit/audit-verify.service';
import { totpCodeAt } from '../../src/auth/totp';
import type { CliContext } from '../../src/cli/cli-command';
import { adminCreateCommand } from '../../src/workspaces/admin.commands';
import { vaultRotateCommand } from '../../src/credential-vault/vault.commands';
import {
  addMember,
  call,
  invite,
  login,
  otherWorkspace,
  setupOrReuse,
  testEmail,
  TestSession,
} from '../harness/auth-fixtures';
import { createTestApp, MetadataStore, TestApp } from '../harness/test-app';
import { expectWithin, pollUntil } from '../harness/timing';

const DAY = 86_400_000;

/** Every audit entry of the workspace, newest first, through the API (all pages). */
async function listAll(t: TestApp, admin: TestSession, wid: string, query = '') {
  const items: TAuditEvent[] = [];
  let cursor: string | null = null;
  do {
    const res = await call(
      t,
      admin,
      'GET',
      `/api/workspaces/${wid}/audit-events?limit=500${query}${cursor ? `&cursor=${cursor}` : ''}`,
    );
    expect(res.statusCode).toBe(200);
    const page = res.json<TAuditEventPage>();
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

/** The caller's own instance-level entries, newest first, through the API (all pages). */
async function listMine(t: TestApp, session: TestSession) {
  const items: TAuditEvent[] = [];
  let cursor: string | null = null;
  do {
    const res = await call(
      t,
      session,
      'GET',
      `/api/me/audit-events?limit=100${cursor ? `&cursor=${cursor}` : ''}`,
    );
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const page = res.json<TAuditEventPage>();
    items.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

function db(t: TestApp): DataSource {
  return t.app.get(DataSource);
}

/** Runs an operator command against the test app; returns exit status and printed lines. */
async function runCommand(
  t: TestApp,
  command: typeof auditVerifyCommand,
  args: string[] = [],
): Promise<{ code: number; lines: string[] }> {
  const lines: string[] = [];
  const ctx: CliContext = {
    config: t.config,
    print: (line) => lines.push(line),
    withApp: (fn) => fn(t.app),
  };
  return { code: await command.run(args, ctx), lines };
}

/** Runs `fn` with the append-only triggers dropped, as an attacker with DDL rights could. */
async function unguarded<T>(t: TestApp, fn: () => Promise<T>): Promise<T> {
  const qr = db(t).createQueryRunner();
  try {
    await removeAuditGuards(qr);
    return await fn();
  } finally {
    await installAuditGuards(qr);
    await qr.release();
  }
}

async function verify(t: TestApp, admin: TestSession & { workspaceId: string }) {
  const res = await call(
    t,
    admin,
    'GET',
    `/api/workspaces/${admin.workspaceId}/audit-events/verify`,
  );
  expect(res.statusCode).toBe(200);
  return res.json<TWorkspaceAuditVerifyResult>();
}

describe.each<MetadataStore>(['sqlite', 'postgres'])('audit log (%s)', (store) => {
  let t: TestApp;
  let admin: TestSession & { workspaceId: string };
  beforeAll(async () => {
    t = await createTestApp({ store, env: { LOGIN_LIMIT_PER_ADDRESS: '1000' } });
    admin = await setupOrReuse(t);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('records first-run setup as one workspace.created with actor, address and agent', async () => {
    const items = await listAll(t, admin, admin.workspaceId, '&action=workspace.created');
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      action: 'workspace.created',
      actor: { userId: admin.userId, email: admin.email },
      workspaceId: admin.workspaceId,
      target: { type: 'workspace', id: admin.workspaceId },
      ip: '127.0.0.1',
      userAgent: 'lightMyRequest',
      details: { name: 'Acme', firstRunSetup: true },
    });
    expect(items[0].hash).toMatch(/^[0-9a-f]{64}$/);
    expect(items[0].correlationId).toBeTruthy();
  });

  it('member added, role changed, workspace created: exactly one entry each', async () => {
    const email = testEmail('member');
    const { id: invitationId, token } = await invite(t, admin, admin.workspaceId, email, 'viewer');
    const added = await call(t, undefined, 'POST', `/api/invitations/${token}/accept`, {
      password: 'Canary-MemberPw-4411-long',
    });
    expect(added.statusCode).toBe(200);
    const userId = added.json<{ user: { id: string } }>().user.id;
    const changed = await call(
      t,
      admin,
      'PATCH',
      `/api/workspaces/${admin.workspaceId}/members/${userId}`,
      { role: 'editor' },
    );
    expect(changed.statusCode).toBe(200);
    const ws = await call(t, admin, 'POST', '/api/workspaces', { name: 'Second' });
    const wsId = ws.json<{ id: string }>().id;

    const byTarget = await listAll(t, admin, admin.workspaceId, `&targetId=${userId}`);
    const memberEntries = byTarget.filter((e) => e.action.startsWith('member.'));
    expect(memberEntries.map((e) => e.action)).toEqual(['member.role_changed', 'member.added']);
    // The invitee adds themself by accepting the admin's invitation.
    expect(memberEntries[1]).toMatchObject({
      actor: { userId, email },
      workspaceId: admin.workspaceId,
      target: { type: 'user', id: userId },
      correlationId: added.headers['x-correlation-id'],
      details: { email, role: 'viewer', accountCreated: true, invitationId },
    });
    expect(memberEntries[0]).toMatchObject({
      correlationId: changed.headers['x-correlation-id'],
      details: { email, from: 'viewer', to: 'editor' },
    });
    const created = await listAll(t, admin, wsId, '&action=workspace.created');
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({
      workspaceId: wsId,
      actor: { userId: admin.userId },
      details: { name: 'Second' },
    });
  });

  it('workspace settings changed and operator admin create: one entry each', async () => {
    const renamed = await call(t, admin, 'PATCH', `/api/workspaces/${admin.workspaceId}`, {
      name: 'Acme Renamed',
    });
    expect(renamed.statusCode).toBe(200);
    const changed = await listAll(
      t,
      admin,
      admin.workspaceId,
      '&action=workspace.settings_changed',
    );
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatchObject({
      actor: { userId: admin.userId },
      target: { type: 'workspace', id: admin.workspaceId },
      correlationId: renamed.headers['x-correlation-id'],
      details: { changedFields: ['name'], name: 'Acme Renamed' },
    });

    const lines: string[] = [];
    const email = testEmail('cli-admin');
    const code = await adminCreateCommand.run(['--email', email, '--workspace', 'Ops'], {
      config: { ...t.config, adminPassword: 'Canary-CliAdminPw-5512-long' },
      print: (l) => lines.push(l),
      withApp: (fn) => fn(t.app),
    });
    expect(code, lines.join('\n')).toBe(0);
    const rows = await db(t)
      .getRepository(AuditEventEntity)
      .findBy({ action: 'workspace.created', actorUserId: IsNull() });
    const mine = rows.filter((r) => JSON.parse(r.details).adminEmail === email);
    expect(mine).toHaveLength(1);
    expect(JSON.parse(mine[0].details)).toEqual({
      name: 'Ops',
      adminEmail: email,
      operatorCommand: 'admin create',
    });
  });

  it('login, failed login and logout: one entry each, visible to the person, not the workspace admin', async () => {
    const member = await addMember(t, admin, admin.workspaceId, 'viewer');
    const before = await listMine(t, member);
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: member.email, password: 'Canary-WrongPw-9931' },
      headers: { 'user-agent': 'Guesser/1.0' },
      remoteAddress: '198.51.100.77',
    });
    expect(bad.statusCode).toBe(401);
    const session = await login(t, member.email, member.password);
    const out = await call(t, session, 'POST', '/api/auth/logout');
    expect(out.statusCode).toBe(204);

    const after = await listMine(t, member);
    const fresh = after.slice(0, after.length - before.length).reverse();
    expect(fresh.map((e) => e.action)).toEqual(['auth.login_failed', 'auth.login', 'auth.logout']);
    expect(fresh[0]).toMatchObject({
      actor: null,
      workspaceId: null,
      target: { type: 'user', id: member.userId },
      ip: '198.51.100.77',
      userAgent: 'Guesser/1.0',
      correlationId: bad.headers['x-correlation-id'],
      details: { email: member.email, reason: 'invalid_credentials' },
    });
    // The workspace admin sees none of them.
    const aboutMember = await listAll(t, admin, admin.workspaceId, `&targetId=${member.userId}`);
    expect(aboutMember.map((e) => e.action)).toEqual(['member.added']);
    const adminView = await listAll(t, admin, admin.workspaceId);
    expect(adminView.filter((e) => fresh.some((f) => f.sequence === e.sequence))).toEqual([]);
    expect(fresh[1]).toMatchObject({
      actor: { userId: member.userId, email: member.email },
      target: { type: 'user', id: member.userId },
    });
    expect(fresh[2]).toMatchObject({ actor: { userId: member.userId } });
  });

  it('two-factor on/off, password change, sign-out everywhere, vault rotate: one entry each, no secret', async () => {
    const member = await addMember(t, admin, admin.workspaceId, 'editor');

    const enrol = await call(t, member, 'POST', '/api/auth/two-factor/enrol', {
      password: member.password,
    });
    const { secret } = enrol.json<{ secret: string }>();
    const confirm = await call(t, member, 'POST', '/api/auth/two-factor/confirm', {
      code: totpCodeAt(secret, Date.now()),
    });
    expect(confirm.statusCode).toBe(200);
    const { recoveryCodes } = confirm.json<{ recoveryCodes: string[] }>();
    const off = await call(t, member, 'POST', '/api/auth/two-factor/disable', {
      password: member.password,
    });
    expect(off.statusCode).toBe(204);
    const newPassword = 'Canary-NewPw-7781-long';
    const pw = await call(t, member, 'POST', '/api/auth/password', {
      currentPassword: member.password,
      newPassword,
    });
    expect(pw.statusCode).toBe(204);
    const all = await call(t, member, 'POST', '/api/auth/sessions/revoke-all');
    expect(all.statusCode).toBe(204);
    // Signed out everywhere: sign in again to read one's own history.
    const again = await login(t, member.email, newPassword);
    expect(
      (await listMine(t, again))
        .map((e) => e.action)
        .slice(0, 5)
        .reverse(),
    ).toEqual([
      'auth.2fa_enabled',
      'auth.2fa_disabled',
      'auth.password_changed',
      'auth.logout',
      'auth.login',
    ]);
    // In the workspace log the member is the actor of joining it (accepting the invitation)
    // only: none of their sign-ins or account changes.
    const inWorkspace = await listAll(t, admin, admin.workspaceId, `&actor=${member.userId}`);
    expect(inWorkspace.map((e) => e.action).filter((a) => !a.startsWith('invitation.'))).toEqual([
      'member.added',
    ]);

    const rotate = await runCommand(t, vaultRotateCommand);
    expect(rotate.code).toBe(0);
    const rotated = await db(t).getRepository(AuditEventEntity).findBy({ action: 'vault.rotated' });
    expect(rotated).toHaveLength(1);
    expect(rotated[0]).toMatchObject({ actorUserId: null, workspaceId: null, ip: 'local' });
    expect(JSON.parse(rotated[0].details)).toMatchObject({ complete: true, failed: 0 });

    const stored = JSON.stringify(await db(t).getRepository(AuditEventEntity).find());
    for (const secretValue of [secret, newPassword, member.password, ...recoveryCodes]) {
      expect(stored).not.toContain(secretValue);
    }
  });

  it('a failed login for an unknown email is recorded once, in no workspace', async () => {
    const email = testEmail('nobody');
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email, password: 'whatever-password' },
    });
    expect(res.statusCode).toBe(401);
    const rows = await db(t)
      .getRepository(AuditEventEntity)
      .findBy({
        action: 'auth.login_failed',
        correlationId: String(res.headers['x-correlation-id']),
      });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ workspaceId: null, actorUserId: null, targetId: null });
    expect(JSON.parse(rows[0].details)).toEqual({ email, reason: 'invalid_credentials' });
    const visible = await listAll(t, admin, admin.workspaceId, '&action=auth.login_failed');
    expect(visible.map((e) => e.details.email)).not.toContain(email);
  });

  it('non-admins get 403, other workspaces and malformed ids 404', async () => {
    const editor = await addMember(t, admin, admin.workspaceId, 'editor');
    const viewer = await addMember(t, admin, admin.workspaceId, 'viewer');
    const other = await otherWorkspace(t);
    for (const path of ['', '/verify', '?format=csv']) {
      const url = `/api/workspaces/${admin.workspaceId}/audit-events${path}`;
      expect((await call(t, editor, 'GET', url)).statusCode).toBe(403);
      expect((await call(t, viewer, 'GET', url)).statusCode).toBe(403);
      expect((await call(t, other, 'GET', url)).statusCode).toBe(404);
      expect((await call(t, undefined, 'GET', url)).statusCode).toBe(401);
    }
    const malformed = await call(t, admin, 'GET', '/api/workspaces/not-a-uuid/audit-events');
    expect(malformed.statusCode).toBe(404);
  });

  it('entries of one workspace never show in another', async () => {
    const other = await otherWorkspace(t);
    await addMember(t, other, other.workspaceId, 'viewer');
    const mine = await listAll(t, admin, admin.workspaceId);
    const theirs = await listAll(t, other, other.workspaceId);
    expect(theirs.some((e) => e.action === 'member.added')).toBe(true);
    expect(mine.every((e) => e.workspaceId === admin.workspaceId)).toBe(true);
    expect(theirs.every((e) => e.workspaceId === other.workspaceId)).toBe(true);
    const mineSeq = new Set(mine.map((e) => e.sequence));
    expect(theirs.filter((e) => mineSeq.has(e.sequence))).toEqual([]);
    expect(JSON.stringify(mine)).not.toContain(other.workspaceId);
    // The other admin's own logins were before joining... they are not members here at all.
    expect(mine.some((e) => e.actor?.userId === other.userId)).toBe(false);
  });

  it('instance-level entries go to instance admins, not to workspace admins (issue 15 item 6)', async () => {
    const other = await otherWorkspace(t); // a workspace admin, not an instance admin
    const ghost = testEmail('ghost');
    const failed = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: ghost, password: 'Wrong-password-123' },
      remoteAddress: '192.0.2.77',
    });
    expect(failed.statusCode).toBe(401);
    const url = '/api/instance/audit-events?limit=500&action=auth.login_failed';
    // The setup admin is an instance admin: they see failed sign-ins, unknown emails included.
    const seen = await call(t, admin, 'GET', url);
    expect(seen.statusCode).toBe(200);
    const items = seen.json<TAuditEventPage>().items;
    expect(items.some((e) => e.details.email === ghost && e.ip === '192.0.2.77')).toBe(true);
    expect(items.every((e) => e.workspaceId === null)).toBe(true);
    const all = (
      await call(t, admin, 'GET', '/api/instance/audit-events?limit=500')
    ).json<TAuditEventPage>().items;
    expect(all.every((e) => e.workspaceId === null)).toBe(true);
    // A workspace admin is refused, and so is a member; the format of an export is refused.
    expect((await call(t, other, 'GET', url)).statusCode).toBe(403);
    const viewer = await addMember(t, admin, admin.workspaceId, 'viewer');
    expect((await call(t, viewer, 'GET', url)).statusCode).toBe(403);
    expect((await call(t, undefined, 'GET', url)).statusCode).toBe(401);
    const csv = await call(t, admin, 'GET', '/api/instance/audit-events?format=csv');
    expect(csv.statusCode).toBe(400);
    expect(csv.json().message).toMatch(/^format: /);
  });

  it('an existing account added to a workspace: its later sign-ins go to the person only (issue 15 item 6)', async () => {
    const person = await otherWorkspace(t);
    // The person joins by invitation, accepting while signed in as themselves.
    const { token } = await invite(t, admin, admin.workspaceId, person.email, 'viewer');
    const added = await call(t, person, 'POST', `/api/invitations/${token}/accept`, {});
    expect(added.statusCode).toBe(200);
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: person.email, password: 'Wrong-password-123' },
      headers: { 'user-agent': 'PersonalLaptop/2.0' },
      remoteAddress: '192.0.2.200',
    });
    expect(bad.statusCode).toBe(401);
    const session = await login(t, person.email, person.password);

    const adminView = JSON.stringify(await listAll(t, admin, admin.workspaceId));
    expect(adminView).not.toContain('192.0.2.200');
    expect(adminView).not.toContain('PersonalLaptop');
    expect(adminView).not.toContain('auth.login');
    const csv = await call(
      t,
      admin,
      'GET',
      `/api/workspaces/${admin.workspaceId}/audit-events?format=csv`,
    );
    expect(csv.body).not.toContain('192.0.2.200');

    const own = await listMine(t, session);
    expect(own[0]).toMatchObject({ action: 'auth.login', actor: { userId: person.userId } });
    expect(own[1]).toMatchObject({
      action: 'auth.login_failed',
      ip: '192.0.2.200',
      userAgent: 'PersonalLaptop/2.0',
      target: { type: 'user', id: person.userId },
    });
    expect(own.every((e) => e.workspaceId === null)).toBe(true);
    expect(
      own.every((e) => e.actor?.userId === person.userId || e.target?.id === person.userId),
    ).toBe(true);
    // Nobody else sees them in their own history, the workspace admin included.
    const adminOwn = JSON.stringify(await listMine(t, admin));
    expect(adminOwn).not.toContain(person.userId);
    expect(adminOwn).not.toContain('192.0.2.200');
    // Paging: one at a time, newest first, no overlap.
    const first = await call(t, session, 'GET', '/api/me/audit-events?limit=1');
    const page = first.json<TAuditEventPage>();
    expect(page.items.map((e) => e.sequence)).toEqual([own[0].sequence]);
    const second = await call(
      t,
      session,
      'GET',
      `/api/me/audit-events?limit=1&cursor=${page.nextCursor}`,
    );
    expect(second.json<TAuditEventPage>().items.map((e) => e.sequence)).toEqual([own[1].sequence]);
    // Bad input names the field; signed out is 401.
    const invalid = await call(t, session, 'GET', '/api/me/audit-events?limit=1000');
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().message).toMatch(/limit/);
    expect((await call(t, undefined, 'GET', '/api/me/audit-events')).statusCode).toBe(401);
  });

  it("workspace verify reports on the workspace's own entries only, never instance totals or the head", async () => {
    const other = await otherWorkspace(t);
    const repo = db(t).getRepository(AuditEventEntity);
    await t.app.get(AuditService).flush();
    const own = await repo.countBy({ workspaceId: admin.workspaceId });
    const total = await repo.countBy({});
    expect(total).toBeGreaterThan(own);
    const result = await verify(t, admin);
    expect(result).toEqual({
      ok: true,
      checkedEntries: own,
      newest: expect.objectContaining({ hash: expect.stringMatching(/^[0-9a-f]{64}$/) }),
      pruned: null,
      firstBroken: null,
    });
    const [newestOwn] = await repo.find({
      where: { workspaceId: admin.workspaceId },
      order: { sequence: 'DESC' },
      take: 1,
    });
    expect(result.newest).toEqual({ sequence: String(newestOwn.sequence), hash: newestOwn.hash });
    const instance = await t.app.get(AuditVerifyService).verify();
    expect(JSON.stringify(result)).not.toContain(instance.head.hash);
    expect(result).not.toHaveProperty('head');

    // An edited entry of the other workspace: its admin and the operator are told, we are not.
    const [theirs] = await repo.find({
      where: { workspaceId: other.workspaceId },
      order: { sequence: 'DESC' },
      take: 1,
    });
    await unguarded(t, () =>
      repo.update({ sequence: theirs.sequence }, { details: '{"name":"Forged"}' }),
    );
    try {
      expect(await verify(t, admin)).toMatchObject({ ok: true, checkedEntries: own });
      expect(await verify(t, other)).toMatchObject({
        ok: false,
        firstBroken: { sequence: String(theirs.sequence), reason: 'hash_mismatch' },
      });
      expect((await runCommand(t, auditVerifyCommand)).code).toBe(1);
    } finally {
      await unguarded(t, () =>
        repo.update({ sequence: theirs.sequence }, { details: theirs.details }),
      );
    }
    expect((await verify(t, other)).ok).toBe(true);
  });

  it('filters by actor, action, target and time, and pages by cursor without overlap', async () => {
    const all = await listAll(t, admin, admin.workspaceId);
    expect(all.length).toBeGreaterThan(5);
    const sequences = all.map((e) => Number(e.sequence));
    expect([...sequences].sort((a, b) => b - a)).toEqual(sequences);
    expect(new Set(sequences).size).toBe(sequences.length);

    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await call(
        t,
        admin,
        'GET',
        `/api/workspaces/${admin.workspaceId}/audit-events?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      const page = res.json<TAuditEventPage>();
      expect(page.items.length).toBeLessThanOrEqual(2);
      paged.push(...page.items.map((e) => e.sequence));
      cursor = page.nextCursor;
    } while (cursor);
    expect(paged).toEqual(all.map((e) => e.sequence));

    const fragment = admin.email.split('@')[0].toUpperCase();
    const byActor = await listAll(t, admin, admin.workspaceId, `&actor=${fragment}`);
    expect(byActor.length).toBeGreaterThan(0);
    expect(byActor.every((e) => e.actor?.email === admin.email)).toBe(true);
    const byId = await listAll(t, admin, admin.workspaceId, `&actor=${admin.userId}`);
    expect(byId.map((e) => e.sequence)).toEqual(byActor.map((e) => e.sequence));
    // LIKE wildcards in the filter are literal.
    expect(await listAll(t, admin, admin.workspaceId, '&actor=%25')).toEqual([]);

    const byAction = await listAll(t, admin, admin.workspaceId, '&action=member.added');
    expect(byAction.length).toBeGreaterThan(0);
    expect(byAction.every((e) => e.action === 'member.added')).toBe(true);

    const byTarget = await listAll(t, admin, admin.workspaceId, '&targetType=workspace');
    expect(byTarget.every((e) => e.target?.type === 'workspace')).toBe(true);

    const middle = all[Math.floor(all.length / 2)];
    const from = encodeURIComponent(middle.occurredAt);
    const newer = await listAll(t, admin, admin.workspaceId, `&from=${from}`);
    const older = await listAll(t, admin, admin.workspaceId, `&to=${from}`);
    expect(newer.every((e) => e.occurredAt >= middle.occurredAt)).toBe(true);
    expect(older.every((e) => e.occurredAt < middle.occurredAt)).toBe(true);
    expect(newer.length + older.length).toBe(all.length);

    const invalid = await call(
      t,
      admin,
      'GET',
      `/api/workspaces/${admin.workspaceId}/audit-events?action=nope.nope`,
    );
    expect(invalid.statusCode).toBe(400);
    expect(invalid.json().message).toMatch(/action/);
  });

  it('exports CSV and JSON Lines as files, formula cells neutralised', async () => {
    const hostile = '=HYPERLINK("http://evil.test","x")';
    const ws = await t.app.inject({
      method: 'POST',
      url: '/api/workspaces',
      headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrfToken, 'user-agent': hostile },
      payload: { name: '+SUM(A1)' },
    });
    expect(ws.statusCode).toBe(201);
    const wid = ws.json<{ id: string }>().id;

    const csv = await call(t, admin, 'GET', `/api/workspaces/${wid}/audit-events?format=csv`);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    expect(csv.headers['content-disposition']).toMatch(
      new RegExp(`^attachment; filename="audit-${wid}-\\d{8}T\\d{6}Z\\.csv"$`),
    );
    expect(csv.headers['cache-control']).toBe('no-store');
    const lines = csv.body.split('\r\n').filter(Boolean);
    expect(lines[0]).toBe(
      'sequence,occurredAt,actorUserId,actorEmail,workspaceId,action,targetType,targetId,ip,userAgent,correlationId,details,prevHash,hash',
    );
    // The export's own audit.exported entry, then the creation.
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain(',audit.exported,');
    expect(csv.body).toContain(`"'=HYPERLINK(""http://evil.test"",""x"")"`);
    expect(csv.body).not.toMatch(/(^|,)[=+\-@]/m);

    const jsonl = await call(t, admin, 'GET', `/api/workspaces/${wid}/audit-events?format=jsonl`);
    expect(jsonl.headers['content-disposition']).toMatch(/\.jsonl"$/);
    const records = jsonl.body
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as TAuditEvent);
    expect(records.map((r) => r.action)).toEqual([
      'audit.exported',
      'audit.exported',
      'workspace.created',
    ]);
    expect(records[2]).toMatchObject({ userAgent: hostile, details: { name: '+SUM(A1)' } });
    // Each export is itself recorded (who took a copy of the log).
    const exported = await listAll(t, admin, wid, '&action=audit.exported');
    expect(exported.map((e) => e.details.format)).toEqual(['jsonl', 'csv']);
  });

  it('the database itself refuses updates and deletes of entries (append-only triggers)', async () => {
    const repo = db(t).getRepository(AuditEventEntity);
    const [first] = await repo.find({ order: { sequence: 'ASC' }, take: 1 });
    await expect(repo.update({ sequence: first.sequence }, { ip: '10.0.0.1' })).rejects.toThrow(
      /append-only/,
    );
    await expect(repo.delete({ sequence: first.sequence })).rejects.toThrow(/checkpoint/);
    if (store === 'postgres') {
      await expect(db(t).query('TRUNCATE audit_events')).rejects.toThrow(/append-only/);
    }
    expect(await repo.findOneByOrFail({ sequence: first.sequence })).toEqual(first);
  });

  it('verify is green; an edited row fails at that entry; a re-hashed edit at the next link', async () => {
    expect(await verify(t, admin)).toMatchObject({ ok: true, firstBroken: null });
    const repo = db(t).getRepository(AuditEventEntity);
    const [row] = await repo.find({
      where: { workspaceId: admin.workspaceId, action: 'member.added' },
      take: 1,
      order: { sequence: 'ASC' },
    });
    const original = { details: row.details, hash: row.hash };

    await unguarded(t, () =>
      repo.update({ sequence: row.sequence }, { details: '{"email":"someone-else@x.test"}' }),
    );
    let result = await verify(t, admin);
    expect(result.ok).toBe(false);
    expect(result.firstBroken).toMatchObject({
      sequence: String(row.sequence),
      reason: 'hash_mismatch',
    });
    const cli = await runCommand(t, auditVerifyCommand);
    expect(cli.code).toBe(1);
    expect(cli.lines.join('\n')).toContain(`BROKEN at entry ${row.sequence} (hash_mismatch)`);

    // An attacker who also recomputes the edited row's hash breaks the next entry's link.
    const edited = await repo.findOneByOrFail({ sequence: row.sequence });
    await unguarded(t, () =>
      repo.update({ sequence: row.sequence }, { hash: computeAuditHash(edited) }),
    );
    result = await verify(t, admin);
    expect(result.firstBroken).toMatchObject({
      sequence: String(row.sequence + 1),
      reason: 'prev_hash_mismatch',
    });

    await unguarded(t, () => repo.update({ sequence: row.sequence }, original));
    expect(await verify(t, admin)).toMatchObject({ ok: true });
    expect((await runCommand(t, auditVerifyCommand)).code).toBe(0);
  });

  it('a deleted row, or a deleted newest row, makes verify fail at that sequence', async () => {
    const repo = db(t).getRepository(AuditEventEntity);
    const [middle] = await repo.find({ order: { sequence: 'ASC' }, skip: 3, take: 1 });
    await unguarded(t, () => repo.delete({ sequence: middle.sequence }));
    expect((await verify(t, admin)).firstBroken).toMatchObject({
      sequence: String(middle.sequence),
      reason: 'missing_entry',
    });
    await unguarded(t, () => repo.insert(middle));
    expect((await verify(t, admin)).ok).toBe(true);

    const [last] = await repo.find({ order: { sequence: 'DESC' }, take: 1 });
    await unguarded(t, () => repo.delete({ sequence: last.sequence }));
    const cli = await runCommand(t, auditVerifyCommand);
    expect(cli.code).toBe(1);
    expect((await verify(t, admin)).firstBroken).toMatchObject({
      sequence: String(last.sequence),
      reason: 'missing_entry',
    });
    await unguarded(t, () => repo.insert(last));
    expect((await verify(t, admin)).ok).toBe(true);
  });

  it('no entry, export or log line carries a planted secret or result value', async () => {
    const audit = t.app.get(AuditService);
    await audit.record({
      action: 'query.run',
      actor: { userId: admin.userId, email: admin.email },
      workspaceId: admin.workspaceId,
      target: { type: 'query', id: '00000000-0000-4000-8000-000000000001' },
      meta: { ip: '127.0.0.1', userAgent: 'test', correlationId: 'canary-test-1' },
      // A caller that wrongly passes values: they must not be stored.
      details: {
        durationMs: 3,
        rowCount: 1,
        rows: 'Canary-RESULT-5521',
        params: ['Canary-PARAM-5521'],
        password: 'Canary-PW-5521',
      },
    });
    await audit.flush();
    const rows = await db(t).getRepository(AuditEventEntity).find();
    const csv = await call(
      t,
      admin,
      'GET',
      `/api/workspaces/${admin.workspaceId}/audit-events?format=csv`,
    );
    const jsonl = await call(
      t,
      admin,
      'GET',
      `/api/workspaces/${admin.workspaceId}/audit-events?format=jsonl`,
    );
    const haystack = [JSON.stringify(rows), csv.body, jsonl.body, t.logs.join('\n')].join('\n');
    expect(haystack).toContain('[redacted]');
    expect(haystack).not.toMatch(/Canary-/);
    expect((await verify(t, admin)).ok).toBe(true);
  });

  it('batched query-run entries are written by the flush timer and keep the chain valid', async () => {
    const audit = t.app.get(AuditService);
    const repo = db(t).getRepository(AuditEventEntity);
    const before = await repo.countBy({ action: 'query.run' });
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        audit.record({
          action: 'query.run',
          actor: { userId: admin.userId, email: admin.email },
          workspaceId: admin.workspaceId,
          target: { type: 'query', id: `q-${i}` },
          meta: { ip: '127.0.0.1', userAgent: 'test', correlationId: `batch-${i}` },
          details: { durationMs: i, rowCount: i, truncated: false, outcome: 'ok' },
        }),
      ),
    );
    // record() resolves before the write for batched actions.
    expectWithin('30 batched record() calls resolved', Date.now() - started, 400);
    // The flush timer (AUDIT_FLUSH_INTERVAL_MS) writes them, with no close or explicit flush.
    await pollUntil(
      'batched entries written by the flush timer',
      () => repo.countBy({ action: 'query.run' }),
      before + 30,
      { timeoutMs: 5_000 },
    );
    expect((await verify(t, admin)).ok).toBe(true);
  });

  it('prune removes the oldest entries, records a checkpoint and verify stays green', async () => {
    const repo = db(t).getRepository(AuditEventEntity);
    const all = await repo.find({ order: { sequence: 'ASC' } });
    // An early entry whose successor is strictly newer (batched entries can share a millisecond).
    const cutIndex = all.findIndex(
      (e, i) => i >= 2 && all[i + 1].occurredAt.getTime() > e.occurredAt.getTime(),
    );
    const cut = all[cutIndex];
    // "now" such that exactly the entries up to `cut` are older than 1 day.
    const now = new Date(cut.occurredAt.getTime() + DAY + 1);
    const keepFrom = all.findIndex((e) => e.occurredAt.getTime() > cut.occurredAt.getTime());
    const result = await t.app.get(AuditRetentionService).prune(1, now);
    const expectedThrough = all[keepFrom - 1];
    expect(result.checkpoint).toMatchObject({
      sequence: expectedThrough.sequence,
      hash: expectedThrough.hash,
    });
    expect(result.removed).toBe(keepFrom);
    expect(await repo.countBy({})).toBe(all.length - keepFrom + 1);
    const v = await t.app.get(AuditVerifyService).verify();
    expect(v).toMatchObject({
      ok: true,
      checkpoint: { sequence: String(expectedThrough.sequence), hash: expectedThrough.hash },
    });
    // The workspace admin learns when, not the instance's sequence or hash.
    expect(await verify(t, admin)).toMatchObject({
      ok: true,
      pruned: {
        occurredAt: expectedThrough.occurredAt.toISOString(),
        prunedAt: expect.any(String),
      },
    });
    expect(JSON.stringify(await verify(t, admin))).not.toContain(expectedThrough.hash);
    const pruned = await repo.findOneByOrFail({ action: 'audit.pruned' });
    expect(JSON.parse(pruned.details)).toMatchObject({
      checkpointSequence: expectedThrough.sequence,
      checkpointHash: expectedThrough.hash,
      removedCount: keepFrom,
    });

    // The CLI: nothing is 1 day old yet; bad arguments are refused.
    const cli = await runCommand(t, auditPruneCommand, ['--older-than-days', '1']);
    expect(cli).toEqual({ code: 0, lines: ['nothing older than 1 days'] });
    expect((await runCommand(t, auditPruneCommand, ['--older-than-days=0'])).code).toBe(2);

    // Editing the first entry after the checkpoint is still caught.
    const first = await repo.findOneByOrFail({ sequence: expectedThrough.sequence + 1 });
    await unguarded(t, () => repo.update({ sequence: first.sequence }, { ip: '10.9.9.9' }));
    expect((await t.app.get(AuditVerifyService).verify()).firstBroken).toMatchObject({
      sequence: String(first.sequence),
      reason: 'hash_mismatch',
    });
    // ...and prune refuses to erase the evidence.
    await expect(
      t.app.get(AuditRetentionService).prune(1, new Date(Date.now() + 3 * DAY)),
    ).rejects.toThrow(/broken at entry/);
    await unguarded(t, () => repo.update({ sequence: first.sequence }, { ip: first.ip }));
    expect((await verify(t, admin)).ok).toBe(true);
    expect((await runCommand(t, auditVerifyCommand)).code).toBe(0);

    // A checkpoint planted to hide entries, without its audit.pruned entry in the chain.
    const later = await repo.findOneByOrFail({ sequence: expectedThrough.sequence + 3 });
    const checkpoints = db(t).getRepository(AuditCheckpointEntity);
    await checkpoints.insert({
      sequence: later.sequence,
      hash: later.hash,
      occurredAt: later.occurredAt,
      prunedAt: new Date(),
      removedCount: 3,
    });
    await repo.delete({ sequence: expectedThrough.sequence + 1 });
    expect((await verify(t, admin)).firstBroken).toMatchObject({
      reason: 'checkpoint_unrecorded',
    });
  });
});
