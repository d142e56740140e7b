import type { APIRequestContext } from '@playwright/test';
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
 * Signs `request` in as the admin and creates a workspace of its own plus a new member of it.
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
  const headers = { 'x-csrf-token': csrfToken };
  const workspaceName = `Team ${randomBytes(3).toString('hex')}`;
  const ws = await request.post('/api/workspaces', { data: { name: workspaceName }, headers });
  const workspaceId = ((await ws.json()) as { id: string }).id;
  const member = { email: randomEmail(role), password: randomPassword() };
  const added = await request.post(`/api/workspaces/${workspaceId}/members`, {
    data: { ...member, role },
    headers,
  });
  if (added.status() !== 201) throw new Error(`add member failed: ${await added.text()}`);
  return { ...member, workspaceId, workspaceName };
}
