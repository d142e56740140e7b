import type { TWorkspaceRole } from '@bastion/contracts';
import { randomBytes } from 'node:crypto';
import type { TestApp } from './test-app';

/** A signed-in user as tests use it: the session cookie and the CSRF token. */
export interface TestSession {
  userId: string;
  email: string;
  password: string;
  cookie: string;
  csrfToken: string;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/** A strong password no policy refuses. */
export const testPassword = () => `Pw-${randomBytes(9).toString('base64url')}-long`;
export const testEmail = (label = 'user') =>
  `${label}-${randomBytes(4).toString('hex')}@example.test`;

function sessionCookie(setCookie: string | string[] | undefined): string {
  const cookies = ([] as string[]).concat(setCookie ?? []);
  const found = cookies.find((c) => c.startsWith('bastion_session='));
  if (!found) throw new Error('no session cookie in response');
  return found.split(';')[0];
}

/** Resources under optimistic concurrency: their PATCH needs `If-Match` (428 without). */
const VERSIONED_URL =
  /^\/api\/workspaces\/[^/]+\/(?:apps\/[^/?]+(?:\/queries\/[^/?]+)?|datasources\/[^/?]+)$/;

function send(
  t: TestApp,
  session: TestSession | undefined,
  method: Method,
  url: string,
  payload: unknown,
  extraHeaders: Record<string, string>,
) {
  const headers: Record<string, string> = {};
  if (session) {
    headers.cookie = session.cookie;
    if (method !== 'GET') headers['x-csrf-token'] = session.csrfToken;
  }
  return t.app.inject({
    method,
    url,
    headers: { ...headers, ...extraHeaders },
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });
}

/**
 * Sends a request as `session` (cookie + CSRF header on writes), or anonymously. A PATCH of
 * an app, saved query or datasource without an explicit `if-match` header gets the resource's
 * current version as `If-Match` (read just before, as a client that reloads would): tests of
 * other rules need not repeat the concurrency protocol. Tests of that protocol pass
 * `headers` (`{'if-match': ...}`, or `{'if-match': ''}` for none at all).
 * @returns light-my-request response (`statusCode`, `json()`, `headers`, `body`).
 */
export async function call(
  t: TestApp,
  session: TestSession | undefined,
  method: Method,
  url: string,
  payload?: unknown,
  headers: Record<string, string> = {},
) {
  if (method === 'PATCH' && !('if-match' in headers) && VERSIONED_URL.test(url)) {
    const read = await send(t, session, 'GET', url, undefined, {});
    const version =
      read.statusCode === 200 ? read.json<{ version?: unknown }>().version : undefined;
    if (typeof version === 'number') headers = { ...headers, 'if-match': `"${version}"` };
  }
  const own = { ...headers };
  if (own['if-match'] === '') delete own['if-match'];
  return send(t, session, method, url, payload, own);
}

/** Runs first-run setup: an admin and their workspace. */
export async function setupAdmin(t: TestApp): Promise<TestSession & { workspaceId: string }> {
  const email = testEmail('admin');
  const password = testPassword();
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/setup',
    payload: { email, password, workspaceName: 'Acme' },
  });
  if (res.statusCode !== 201) throw new Error(`setup failed: ${res.statusCode} ${res.body}`);
  const body = res.json<{ user: { id: string }; csrfToken: string; workspaceId: string }>();
  return {
    userId: body.user.id,
    email,
    password,
    cookie: sessionCookie(res.headers['set-cookie']),
    csrfToken: body.csrfToken,
    workspaceId: body.workspaceId,
  };
}

/** Signs in with email and password. */
export async function login(t: TestApp, email: string, password: string): Promise<TestSession> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/api/auth/login',
    payload: { email, password },
  });
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
  const body = res.json<{ user: { id: string }; csrfToken: string }>();
  return {
    userId: body.user.id,
    email,
    password,
    cookie: sessionCookie(res.headers['set-cookie']),
    csrfToken: body.csrfToken,
  };
}

/** The token of an invitation link (`<origin>/invite/<token>`). */
export function tokenOf(inviteUrl: string): string {
  const token = /\/invite\/([A-Za-z0-9_-]+)$/.exec(inviteUrl)?.[1];
  if (!token) throw new Error(`not an invitation link: ${inviteUrl}`);
  return token;
}

/** Admin invites `email` with `role`; returns the created invitation and its token. */
export async function invite(
  t: TestApp,
  admin: TestSession,
  workspaceId: string,
  email: string,
  role: TWorkspaceRole,
): Promise<{ id: string; inviteUrl: string; token: string }> {
  const res = await call(t, admin, 'POST', `/api/workspaces/${workspaceId}/invitations`, {
    email,
    role,
  });
  if (res.statusCode !== 201) throw new Error(`invite failed: ${res.statusCode} ${res.body}`);
  const body = res.json<{ id: string; inviteUrl: string }>();
  return { ...body, token: tokenOf(body.inviteUrl) };
}

/** Accepts an invitation for a new email with `password` (anonymous); returns the new session. */
export async function acceptAsNewAccount(
  t: TestApp,
  token: string,
  email: string,
  password: string,
): Promise<TestSession> {
  const res = await call(t, undefined, 'POST', `/api/invitations/${token}/accept`, { password });
  if (res.statusCode !== 200) throw new Error(`accept failed: ${res.statusCode} ${res.body}`);
  const body = res.json<{ user: { id: string }; csrfToken: string }>();
  return {
    userId: body.user.id,
    email,
    password,
    cookie: sessionCookie(res.headers['set-cookie']),
    csrfToken: body.csrfToken,
  };
}

/**
 * Admin invites a new email with `role` to a workspace and the invitee accepts with a password
 * of their own; returns that user's session.
 */
export async function addMember(
  t: TestApp,
  admin: TestSession,
  workspaceId: string,
  role: TWorkspaceRole,
): Promise<TestSession> {
  const email = testEmail(role);
  const { token } = await invite(t, admin, workspaceId, email, role);
  return acceptAsNewAccount(t, token, email, testPassword());
}

/** The setup admin's workspace with a new editor and a new viewer in it. */
export async function workspaceRoles(t: TestApp): Promise<{
  admin: TestSession & { workspaceId: string };
  editor: TestSession;
  viewer: TestSession;
  wid: string;
}> {
  const admin = await setupOrReuse(t);
  const wid = admin.workspaceId;
  const editor = await addMember(t, admin, wid, 'editor');
  const viewer = await addMember(t, admin, wid, 'viewer');
  return { admin, editor, viewer, wid };
}

/**
 * A second workspace whose admin is not a member of the first one, for "does not return X of
 * another workspace" tests. The setup admin (an instance admin: only they create workspaces by
 * default) creates it, invites a new account as its admin, and leaves it.
 */
export async function otherWorkspace(t: TestApp): Promise<TestSession & { workspaceId: string }> {
  const first = await setupOrReuse(t);
  const ws = await call(t, first, 'POST', '/api/workspaces', { name: 'Other Co' });
  if (ws.statusCode !== 201) throw new Error(`create workspace failed: ${ws.body}`);
  const workspaceId = ws.json<{ id: string }>().id;
  const session = await addMember(t, first, workspaceId, 'admin');
  const left = await call(
    t,
    first,
    'DELETE',
    `/api/workspaces/${workspaceId}/members/${first.userId}`,
  );
  if (left.statusCode !== 204) throw new Error(`leave workspace failed: ${left.body}`);
  return { ...session, workspaceId };
}

const firstAdmins = new WeakMap<TestApp, TestSession & { workspaceId: string }>();

/** The setup admin of `t`, created on first use. */
export async function setupOrReuse(t: TestApp): Promise<TestSession & { workspaceId: string }> {
  let admin = firstAdmins.get(t);
  if (!admin) {
    admin = await setupAdmin(t);
    firstAdmins.set(t, admin);
  }
  return admin;
}
