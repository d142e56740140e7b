import { type APIRequestContext, request as playwrightRequest } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The instance's first admin, created once per server and shared by every e2e test. */
export interface E2eAdmin {
  email: string;
  password: string;
  workspaceId: string;
}

export const randomPassword = () => `E2e-${randomBytes(9).toString('base64url')}-pass`;
export const randomEmail = (label: string) =>
  `${label}-${randomBytes(4).toString('hex')}@example.test`;

function adminFile(): string {
  const base = process.env.E2E_BASE_URL ?? 'default';
  const dir = process.env.E2E_DATA_DIR ?? tmpdir();
  return join(dir, `e2e-admin-${Buffer.from(base).toString('base64url')}.json`);
}

/**
 * The shared admin: runs first-run setup when the server still needs it (and remembers the
 * account in the data folder), else reuses the remembered one. Tests seed their own users and
 * workspaces through it, so they do not depend on each other.
 */
export async function ensureAdmin(request: APIRequestContext): Promise<E2eAdmin> {
  const file = adminFile();
  const status = (await (await request.get('/api/setup')).json()) as { setupRequired: boolean };
  if (!status.setupRequired) {
    if (!existsSync(file)) {
      throw new Error('setup was done outside the e2e fixtures; use ensureAdmin() for setup');
    }
    return JSON.parse(readFileSync(file, 'utf8')) as E2eAdmin;
  }
  const admin = { email: randomEmail('e2e-admin'), password: randomPassword() };
  const res = await request.post('/api/setup', {
    data: { ...admin, workspaceName: 'E2E Workspace' },
  });
  if (res.status() !== 201) throw new Error(`setup failed: ${res.status()} ${await res.text()}`);
  const body = (await res.json()) as { workspaceId: string };
  const saved: E2eAdmin = { ...admin, workspaceId: body.workspaceId };
  writeFileSync(file, JSON.stringify(saved), { mode: 0o600 });
  return saved;
}

/**
 * Signs `request` in as the admin (an instance admin: it may create workspaces) and creates a
 * workspace of its own plus a new member of it, who joins through an invitation.
 * @returns the member's credentials and the new workspace id.
 */
export async function seedMember(
  request: APIRequestContext,
  role: 'admin' | 'editor' | 'viewer',
): Promise<{ email: string; password: string; workspaceId: string; workspaceName: string }> {
  const admin = await ensureAdmin(request);
  const login = await request.post('/api/auth/login', {
    data: { email: admin.email, password: admin.password },
  });
  if (login.status() !== 200) throw new Error(`admin login failed: ${login.status()}`);
  const { csrfToken } = (await login.json()) as { csrfToken: string };
  const workspaceName = `Team ${randomBytes(3).toString('hex')}`;
  const ws = await request.post('/api/workspaces', {
    data: { name: workspaceName },
    headers: { 'x-csrf-token': csrfToken },
  });
  const workspaceId = ((await ws.json()) as { id: string }).id;
  const member = { email: randomEmail(role), password: randomPassword() };
  await inviteMember(request, csrfToken, workspaceId, member, role);
  return { ...member, workspaceId, workspaceName };
}

/**
 * Invites `member.email` to the workspace with `role` (as the admin signed in on `request`,
 * whose `csrfToken` is given), then accepts the link in a fresh, cookie-less context with
 * `member.password`, as the invitee would: the account, its own password and the membership
 * exist afterwards. `request` keeps the admin's session.
 * @returns the invitation link.
 */
export async function inviteMember(
  request: APIRequestContext,
  csrfToken: string,
  workspaceId: string,
  member: { email: string; password: string },
  role: 'admin' | 'editor' | 'viewer',
): Promise<string> {
  const invited = await request.post(`/api/workspaces/${workspaceId}/invitations`, {
    data: { email: member.email, role },
    headers: { 'x-csrf-token': csrfToken },
  });
  if (invited.status() !== 201) throw new Error(`invite failed: ${await invited.text()}`);
  const { inviteUrl } = (await invited.json()) as { inviteUrl: string };
  const token = inviteUrl.split('/invite/')[1];
  const invitee = await playwrightRequest.newContext({ baseURL: process.env.E2E_BASE_URL });
  try {
    const accepted = await invitee.post(`/api/invitations/${token}/accept`, {
      data: { password: member.password },
    });
    if (accepted.status() !== 200) throw new Error(`accept failed: ${await accepted.text()}`);
  } finally {
    await invitee.dispose();
  }
  return inviteUrl;
}
