import type { TWorkspaceRole } from '@bastion/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addMember,
  call,
  invite,
  otherWorkspace,
  setupOrReuse,
  TestSession,
  testEmail,
  testPassword,
} from '../harness/auth-fixtures';
import { createTestApp, MetadataStore, TestApp } from '../harness/test-app';

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
type Caller = TWorkspaceRole | 'outsider' | 'anonymous';

interface Ctx {
  wid: string;
  /** A viewer of the workspace whose role the member routes change (to the same role). */
  targetUserId: string;
  /** A viewer the remove-member row removes (a fresh one per case). */
  removableUserId: string;
  /** A pending invitation (a fresh one per case for revoke). */
  invitationId: string;
  /** A REST datasource, a published app and its saved query, made by the admin. */
  datasourceId: string;
  appId: string;
  queryId: string;
}

/** Resources a DELETE row removes: each case gets a fresh one. */
type Fresh = 'datasource' | 'app' | 'query' | 'member' | 'invitation';

/** One route: the least role it needs, and the status a caller with that role gets. */
interface Route {
  name: string;
  method: Method;
  path: (c: Ctx) => string;
  body?: (c: Ctx) => unknown;
  min: TWorkspaceRole;
  /**
   * Status for a caller with the role, or `'gate'`: the role check passed and what follows
   * belongs to the module (a connector's answer), so only 401/403/404 would be wrong.
   */
  ok: number | 'gate';
  fresh?: Fresh;
}

/**
 * Every workspace-scoped route that exists (workspaces, members, audit, datasources, preview,
 * apps, saved queries, runs). Add a row when a
 * module adds a route: the matrix then checks it for every role, another workspace's admin,
 * anonymous callers and CSRF.
 */
const ROUTES: Route[] = [
  {
    name: 'read workspace',
    method: 'GET',
    path: (c) => `/api/workspaces/${c.wid}`,
    min: 'viewer',
    ok: 200,
  },
  {
    name: 'rename workspace',
    method: 'PATCH',
    path: (c) => `/api/workspaces/${c.wid}`,
    body: () => ({ name: 'Acme' }),
    min: 'admin',
    ok: 200,
  },
  {
    name: 'list members',
    method: 'GET',
    path: (c) => `/api/workspaces/${c.wid}/members`,
    min: 'admin',
    ok: 200,
  },
  {
    // Removed: members join by invitation. An admin gets 400 naming the invitation route.
    name: 'add member (by invitation only)',
    method: 'POST',
    path: (c) => `/api/workspaces/${c.wid}/members`,
    body: () => ({ email: testEmail('matrix'), password: testPassword(), role: 'viewer' }),
    min: 'admin',
    ok: 400,
  },
  {
    name: 'invite member',
    method: 'POST',
    path: (c) => `/api/workspaces/${c.wid}/invitations`,
    body: () => ({ email: testEmail('matrix'), role: 'viewer' }),
    min: 'admin',
    ok: 201,
  },
  {
    name: 'list invitations',
    method: 'GET',
    path: (c) => `/api/workspaces/${c.wid}/invitations`,
    min: 'admin',
    ok: 200,
  },
  {
    name: 'resend invitation',
    method: 'POST',
    path: (c) => `/api/workspaces/${c.wid}/invitations/${c.invitationId}/resend`,
    min: 'admin',
    ok: 201,
  },
  {
    name: 'revoke invitation',
    method: 'DELETE',
    path: (c) => `/api/workspaces/${c.wid}/invitations/${c.invitationId}`,
    min: 'admin',
    ok: 204,
    fresh: 'invitation',
  },
  {
    name: 'change role',
    method: 'PATCH',
    path: (c) => `/api/workspaces/${c.wid}/members/${c.targetUserId}`,
    body: () => ({ role: 'viewer' }),
    min: 'admin',
    ok: 200,
  },
  {
    name: 'remove member',
    method: 'DELETE',
    path: (c) => `/api/workspaces/${c.wid}/members/${c.removableUserId}`,
    min: 'admin',
    ok: 204,
    fresh: 'member',
  },
  {
    name: 'audit events',
    method: 'GET',
    path: (c) => `/api/workspaces/${c.wid}/audit-events`,
    min: 'admin',
    ok: 200,
  },
  {
    name: 'audit verify',
    method: 'GET',
    path: (c) => `/api/workspaces/${c.wid}/audit-events/verify`,
    min: 'admin',
    ok: 200,
  },
  // Datasources
  {
    name: 'list datasources',
    method: 'GET',
    path: (c) => `/api/workspaces/${c.wid}/datasources`,
    min: 'editor',
    ok: 200,
  },
  {
    name: 'create datasource',
    method: 'POST',
    path: (c) => `/api/workspaces/${c.wid}/datasources`,
    body: () => restDatasource(),
    min: 'admin',
    ok: 201,
  },
  {
    name: 'read datasource',
    method: 'GET',
    path: (c) => `/api/workspaces/${c.wid}/datasources/${c.datasourceId}`,
    min: 'editor',
    ok: 200,
  },
  {
    name: 'update datasource',
    method: 'PATCH',
    path: (c) => `/api/workspaces/${c.wid}/datasources/${c.datasourceId}`,
    body: () => ({ name: `Matrix API ${Math.random().toString(36).slice(2, 10)}` }),
    min: 'admin',
    ok: 200,
  },
  {
    name: 'delete datasource',
    method: 'DELETE',
    path: (c) => `/api/workspaces/${c.wid}/datasources/${c.datasourceId}`,
    min: 'admin',
    ok: 204,
    fresh: 'datasource',
  },
  {
    name: 'test datasource',
    method: 'POST',
    path: (c) => `/api/workspaces/${c.wid}/datasources/${c.datasourceId}/test`,
    body: () => ({}),
    min: 'editor',
    ok: 'gate',
  },
  {
    name: 'preview query',
    method: 'POST',
    path: (c) => `/api/workspaces/${c.wid}/datasources/${c.datasourceId}/preview`,
    body: () => ({ query: { method: 'GET', path: '/x' }, params: {} }),
    min: 'editor',
    ok: 'gate',
  },
  // Apps and saved queries
  {
    name: 'list apps',
    method: 'GET',
    path: (c) => `/api/workspaces/${c.wid}/apps`,
    min: 'viewer',
    ok: 200,
  },
  {
    name: 'create app',
    method: 'POST',
    path: (c) => `/api/workspaces/${c.wid}/apps`,
    body: () => ({ name: 'Matrix app' }),
    min: 'editor',
    ok: 201,
  },
  {
    name: 'read app draft',
    method: 'GET',
    path: (c) => `/api/workspaces/${c.wid}/apps/${c.appId}`,
    min: 'editor',
    ok: 200,
  },
  {
    name: 'update app',
    method: 'PATCH',
    path: (c) => `/api/workspaces/${c.wid}/apps/${c.appId}`,
    body: () => ({ name: 'Matrix app' }),
    min: 'editor',
    ok: 200,
  },
  {
    name: 'publish app',
    method: 'POST',
    path: (c) => `/api/workspaces/${c.wid}/apps/${c.appId}/publish`,
    body: () => ({}),
    min: 'editor',
    ok: 200,
  },
  {
    name: 'read published app',
    method: 'GET',
    path: (c) => `/api/workspaces/${c.wid}/apps/${c.appId}/published`,
    min: 'viewer',
    ok: 200,
  },
  {
    name: 'delete app',
    method: 'DELETE',
    path: (c) => `/api/workspaces/${c.wid}/apps/${c.appId}`,
    min: 'editor',
    ok: 204,
    fresh: 'app',
  },
  {
    name: 'create query',
    method: 'POST',
    path: (c) => `/api/workspaces/${c.wid}/apps/${c.appId}/queries`,
    body: (c) => ({
      name: `q${Math.floor(Math.random() * 1e9)}`,
      datasourceId: c.datasourceId,
      body: { method: 'GET', path: '/x' },
    }),
    min: 'editor',
    ok: 201,
  },
  {
    name: 'update query',
    method: 'PATCH',
    path: (c) => `/api/workspaces/${c.wid}/apps/${c.appId}/queries/${c.queryId}`,
    body: () => ({ timeoutMs: 5000 }),
    min: 'editor',
    ok: 200,
  },
  {
    name: 'delete query',
    method: 'DELETE',
    path: (c) => `/api/workspaces/${c.wid}/apps/${c.appId}/queries/${c.queryId}`,
    min: 'editor',
    ok: 204,
    fresh: 'query',
  },
  {
    name: 'run published query',
    method: 'POST',
    path: (c) => `/api/workspaces/${c.wid}/apps/${c.appId}/queries/${c.queryId}/run`,
    body: () => ({ params: {} }),
    min: 'viewer',
    ok: 'gate',
  },
];

/** A REST datasource on a reserved name that never resolves (RFC 2606 `.test`). */
const restDatasource = () => ({
  name: `Matrix API ${Math.random().toString(36).slice(2, 10)}`,
  type: 'rest',
  config: { baseUrl: 'https://api.example.test' },
  secrets: {},
});

const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000';

/** Routes of the signed-in account itself (no workspace): any signed-in user, never anonymous. */
const ACCOUNT_ROUTES: { method: Method; path: string; ok: number }[] = [
  { method: 'GET', path: '/api/me', ok: 200 },
  { method: 'GET', path: '/api/auth/sessions', ok: 200 },
  { method: 'GET', path: '/api/auth/two-factor', ok: 200 },
  // Past the session check to validation: enrolment asks for the password (400 without it).
  { method: 'POST', path: '/api/auth/two-factor/enrol', ok: 400 },
  // Only the caller's own sessions: an id that is no session of theirs is 404 for everyone.
  { method: 'DELETE', path: `/api/auth/sessions/${NO_SUCH_ID}`, ok: 404 },
];

const RANK: Record<TWorkspaceRole, number> = { viewer: 1, editor: 2, admin: 3 };

function expected(route: Route, caller: Caller): number | 'gate' {
  if (caller === 'anonymous') return 401;
  if (caller === 'outsider') return 404;
  return RANK[caller] >= RANK[route.min] ? route.ok : 403;
}

/** Adds a new viewer to the workspace (invited, accepted); returns its user id. */
async function seedMember(t: TestApp, admin: TestSession, wid: string): Promise<string> {
  return (await addMember(t, admin, wid, 'viewer')).userId;
}

/** A new pending invitation of the workspace; returns its id. */
async function seedInvitation(t: TestApp, admin: TestSession, wid: string): Promise<string> {
  return (await invite(t, admin, wid, testEmail('invited'), 'viewer')).id;
}

/** Creates a datasource, an app with one saved query, and publishes it; returns their ids. */
async function seedResources(t: TestApp, admin: TestSession, wid: string) {
  const ds = await call(t, admin, 'POST', `/api/workspaces/${wid}/datasources`, restDatasource());
  if (ds.statusCode !== 201) throw new Error(`datasource: ${ds.statusCode} ${ds.body}`);
  const datasourceId = ds.json<{ id: string }>().id;
  const app = await call(t, admin, 'POST', `/api/workspaces/${wid}/apps`, { name: 'Matrix app' });
  if (app.statusCode !== 201) throw new Error(`app: ${app.statusCode} ${app.body}`);
  const appId = app.json<{ id: string }>().id;
  const q = await call(t, admin, 'POST', `/api/workspaces/${wid}/apps/${appId}/queries`, {
    name: 'listThings',
    datasourceId,
    body: { method: 'GET', path: '/things' },
  });
  if (q.statusCode !== 201) throw new Error(`query: ${q.statusCode} ${q.body}`);
  const queryId = q.json<{ id: string }>().id;
  const pub = await call(t, admin, 'POST', `/api/workspaces/${wid}/apps/${appId}/publish`, {});
  if (pub.statusCode !== 200) throw new Error(`publish: ${pub.statusCode} ${pub.body}`);
  return { datasourceId, appId, queryId };
}

describe.each<MetadataStore>(['sqlite', 'postgres'])('access matrix (%s)', (store) => {
  let t: TestApp;
  let ctx: Ctx;
  const sessions = {} as Record<Exclude<Caller, 'anonymous'>, TestSession>;

  beforeAll(async () => {
    t = await createTestApp({ store, env: { LOGIN_LIMIT_PER_ADDRESS: '1000' } });
    const admin = await setupOrReuse(t);
    sessions.admin = admin;
    sessions.editor = await addMember(t, admin, admin.workspaceId, 'editor');
    sessions.viewer = await addMember(t, admin, admin.workspaceId, 'viewer');
    sessions.outsider = await otherWorkspace(t);
    const target = await addMember(t, admin, admin.workspaceId, 'viewer');
    ctx = {
      wid: admin.workspaceId,
      targetUserId: target.userId,
      removableUserId: await seedMember(t, admin, admin.workspaceId),
      invitationId: await seedInvitation(t, admin, admin.workspaceId),
      ...(await seedResources(t, admin, admin.workspaceId)),
    };
  });
  afterAll(async () => {
    await t?.close();
  });

  const callers: Caller[] = ['admin', 'editor', 'viewer', 'outsider', 'anonymous'];
  const cases = ROUTES.flatMap((route) => callers.map((caller) => ({ route, caller })));

  it.each(cases)('$route.name as $caller', async ({ route, caller }) => {
    const session = caller === 'anonymous' ? undefined : sessions[caller];
    const c =
      route.fresh === 'member'
        ? { ...ctx, removableUserId: await seedMember(t, sessions.admin, ctx.wid) }
        : route.fresh === 'invitation'
          ? { ...ctx, invitationId: await seedInvitation(t, sessions.admin, ctx.wid) }
          : route.fresh
            ? { ...ctx, ...(await seedResources(t, sessions.admin, ctx.wid)) }
            : ctx;
    const res = await call(t, session, route.method, route.path(c), route.body?.(c));
    const want = expected(route, caller);
    const got = {
      status: res.statusCode,
      message: res.statusCode >= 400 ? res.json<{ message: string }>().message : '',
    };
    if (want === 'gate') {
      expect([401, 403, 404], JSON.stringify(got)).not.toContain(res.statusCode);
    } else {
      expect(got.status, JSON.stringify(got)).toBe(want);
    }
    if (res.statusCode >= 400) expect(res.json().correlationId).toBeTruthy();
  });

  it.each(ROUTES.filter((r) => r.method !== 'GET'))(
    '$name: CSRF header missing or wrong is 403',
    async (route) => {
      const admin = sessions.admin;
      for (const header of [undefined, 'forged-token', sessions.editor.csrfToken]) {
        const res = await t.app.inject({
          method: route.method,
          url: route.path(ctx),
          headers: { cookie: admin.cookie, ...(header ? { 'x-csrf-token': header } : {}) },
          payload: route.body?.(ctx) as Record<string, unknown>,
        });
        expect(res.statusCode).toBe(403);
        expect(res.json().message).toMatch(/x-csrf-token/);
      }
    },
  );

  it('another workspace is a 404 for every route, also for a malformed or unknown id', async () => {
    const other = sessions.outsider as TestSession & { workspaceId: string };
    for (const route of ROUTES) {
      for (const wid of [other.workspaceId, '00000000-0000-4000-8000-000000000000', 'nope']) {
        const res = await call(
          t,
          sessions.admin,
          route.method,
          route.path({ ...ctx, wid }),
          route.body?.(ctx),
        );
        expect(res.statusCode, `${route.name} ${wid}`).toBe(404);
        expect(res.json().message).toBe('Workspace not found');
      }
    }
  });

  it('account routes need a session (401) and work for every signed-in user', async () => {
    for (const route of ACCOUNT_ROUTES) {
      expect((await call(t, undefined, route.method, route.path)).statusCode).toBe(401);
      for (const caller of ['admin', 'editor', 'viewer', 'outsider'] as const) {
        const res = await call(t, sessions[caller], route.method, route.path);
        expect(res.statusCode, `${route.path} as ${caller}`).toBe(route.ok);
      }
    }
    for (const [method, path] of [
      ['POST', '/api/auth/password'],
      ['POST', '/api/auth/sessions/revoke-all'],
      ['POST', '/api/auth/logout'],
      ['DELETE', `/api/auth/sessions/${NO_SUCH_ID}`],
    ] as const) {
      expect((await call(t, undefined, method, path, {})).statusCode).toBe(401);
      const noCsrf = await t.app.inject({
        method,
        url: path,
        headers: { cookie: sessions.viewer.cookie },
        payload: {},
      });
      expect(noCsrf.statusCode).toBe(403);
    }
  });
});
