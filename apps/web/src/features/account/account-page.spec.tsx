import type { TAuditEvent, TSessionInfo } from '@bastion/contracts';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { cleanup, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createMemoryRouter, RouterProvider } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { setCsrfToken } from '../../lib/api-client';
import { AccountPage } from './account-page';

const CURRENT = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const LAPTOP = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

const session = (
  id: string,
  current: boolean,
  userAgent: string,
  signInMethod: TSessionInfo['signInMethod'] = 'password',
): TSessionInfo => ({
  id,
  signInMethod,
  createdAt: '2026-01-02T03:04:05.000Z',
  lastSeenAt: '2026-01-02T04:04:05.000Z',
  ip: '203.0.113.9',
  userAgent,
  current,
});

const entry = (sequence: string, over: Partial<TAuditEvent>): TAuditEvent => ({
  sequence,
  occurredAt: '2026-01-02T03:04:05.000Z',
  actor: { userId: 'u', email: 'ada@example.test' },
  workspaceId: null,
  action: 'auth.login',
  target: { type: 'user', id: 'u' },
  ip: '203.0.113.9',
  userAgent: 'Firefox',
  correlationId: null,
  details: {},
  prevHash: '0'.repeat(64),
  hash: '1'.repeat(64),
  ...over,
});

/** A fake API for the account page; DELETE of a session takes it out of the list. */
function fakeApi(me: { isInstanceAdmin?: boolean; canCreateWorkspaces?: boolean } = {}) {
  let workspaceCreation = 'instance_admins';
  let sessions = [
    session(CURRENT, true, 'Firefox', 'password+totp'),
    session(LAPTOP, false, 'Safari'),
  ];
  const calls: { method: string; url: string; body?: unknown }[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn((url: string, init: RequestInit = {}) => {
      const method = init.method ?? 'GET';
      calls.push({ method, url, body: init.body });
      if (url === '/api/instance/settings') {
        if (method === 'PATCH') {
          workspaceCreation = (JSON.parse(init.body as string) as { workspaceCreation: string })
            .workspaceCreation;
        }
        return Promise.resolve(json(200, { workspaceCreation }));
      }
      if (url === '/api/me') {
        return Promise.resolve(
          json(200, {
            user: {
              id: 'u',
              email: 'ada@example.test',
              twoFactorEnabled: false,
              isInstanceAdmin: me.isInstanceAdmin ?? false,
            },
            memberships: [],
            csrfToken: 'csrf-1',
            signInMethod: 'password+totp',
            canCreateWorkspaces: me.canCreateWorkspaces ?? false,
          }),
        );
      }
      if (url === '/api/auth/two-factor/enrol' && method === 'POST') {
        return Promise.resolve(
          json(200, {
            otpauthUri: 'otpauth://totp/Bastion:ada%40example.test?secret=JBSWY3DPEHPK3PXP',
            secret: 'JBSWY3DPEHPK3PXP',
          }),
        );
      }
      if (url === '/api/auth/two-factor') {
        return Promise.resolve(json(200, { enabled: false, recoveryCodesLeft: 0 }));
      }
      if (url === '/api/auth/sessions') return Promise.resolve(json(200, sessions));
      if (url === '/api/me/audit-events?limit=20') {
        return Promise.resolve(
          json(200, {
            items: [
              entry('9', { details: { twoFactor: true } }),
              entry('7', {
                action: 'auth.login_failed',
                actor: null,
                ip: '198.51.100.66',
                userAgent: 'curl/8.0',
                details: { email: 'ada@example.test', reason: 'invalid_credentials' },
              }),
            ],
            nextCursor: '7',
          }),
        );
      }
      if (url === '/api/me/audit-events?limit=20&cursor=7') {
        return Promise.resolve(
          json(200, {
            items: [
              entry('3', { action: 'auth.password_changed' }),
              entry('2', { action: 'auth.account_created', details: { via: 'invitation' } }),
            ],
            nextCursor: null,
          }),
        );
      }
      const id = /^\/api\/auth\/sessions\/([^/]+)$/.exec(url)?.[1];
      if (method === 'DELETE' && id) {
        sessions = sessions.filter((s) => s.id !== id);
        return Promise.resolve(new Response(null, { status: 204 }));
      }
      return Promise.resolve(
        json(404, { statusCode: 404, error: 'Not Found', message: 'nf', correlationId: 'c' }),
      );
    }),
  );
  return calls;
}

function renderPage() {
  const router = createMemoryRouter(
    [
      { path: '/account', element: <AccountPage /> },
      { path: '/sign-in', element: <h1>Sign-in page</h1> },
    ],
    { initialEntries: ['/account'] },
  );
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <RouterProvider router={router} />
    </QueryClientProvider>,
  );
  return router;
}

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  setCsrfToken(undefined);
});

describe('AccountPage: sessions', () => {
  it('revokes another session by its id and refreshes the list', async () => {
    const calls = fakeApi();
    renderPage();
    const user = userEvent.setup();
    const sessions = await screen.findByRole('region', { name: 'Sessions' });
    const current = (await within(sessions).findByText('(this one)')).closest('tr') as HTMLElement;
    expect(
      within(current).getByRole('button', { name: 'Revoke this session (signs you out here)' }),
    ).toBeInTheDocument();
    await user.click(
      await within(sessions).findByRole('button', { name: /Revoke the session of Safari/ }),
    );
    await waitFor(() => expect(within(sessions).queryByText('Safari')).toBeNull());
    expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.url)).toEqual([
      `/api/auth/sessions/${LAPTOP}`,
    ]);
    expect(within(sessions).getByText('Firefox')).toBeInTheDocument();
  });

  it('shows how each session signed in', async () => {
    fakeApi();
    renderPage();
    const sessions = await screen.findByRole('region', { name: 'Sessions' });
    const current = (await within(sessions).findByText('(this one)')).closest('tr') as HTMLElement;
    expect(within(current).getByText('Password + authenticator code')).toBeInTheDocument();
    const laptop = within(sessions).getByText('Safari').closest('tr') as HTMLElement;
    expect(within(laptop).getByText('Password only')).toBeInTheDocument();
  });

  it('revoking the current session signs out here', async () => {
    const calls = fakeApi();
    const router = renderPage();
    const user = userEvent.setup();
    await user.click(
      await screen.findByRole('button', { name: 'Revoke this session (signs you out here)' }),
    );
    expect(await screen.findByRole('heading', { name: 'Sign-in page' })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe('/sign-in');
    expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.url)).toEqual([
      `/api/auth/sessions/${CURRENT}`,
    ]);
  });
});

describe('AccountPage: recent sign-ins', () => {
  it('lists sign-ins, failed attempts with address and browser, and pages to older ones', async () => {
    const calls = fakeApi();
    renderPage();
    const user = userEvent.setup();
    const section = await screen.findByRole('region', { name: 'Recent sign-ins' });
    const failed = (await within(section).findByText('Failed sign-in: wrong password')).closest(
      'tr',
    ) as HTMLElement;
    expect(within(failed).getByText('198.51.100.66')).toBeInTheDocument();
    expect(within(failed).getByText('curl/8.0')).toBeInTheDocument();
    expect(within(section).getByText('Signed in (with two-factor)')).toBeInTheDocument();
    expect(within(section).queryByText('Password changed')).toBeNull();
    await user.click(within(section).getByRole('button', { name: 'Show older' }));
    expect(await within(section).findByText('Password changed')).toBeInTheDocument();
    expect(within(section).getByText('Account created (invitation accepted)')).toBeInTheDocument();
    expect(within(section).queryByRole('button', { name: 'Show older' })).toBeNull();
    expect(calls.map((c) => c.url).filter((u) => u.startsWith('/api/me/audit-events'))).toEqual([
      '/api/me/audit-events?limit=20',
      '/api/me/audit-events?limit=20&cursor=7',
    ]);
  });
});

describe('AccountPage: workspaces and instance settings', () => {
  it('hides "New workspace" and the instance settings from a user who may not use them', async () => {
    const calls = fakeApi();
    renderPage();
    expect(await screen.findByRole('region', { name: 'Sessions' })).toBeInTheDocument();
    expect(screen.queryByRole('form', { name: 'New workspace' })).toBeNull();
    expect(screen.queryByRole('region', { name: 'Instance settings' })).toBeNull();
    expect(calls.some((c) => c.url === '/api/instance/settings')).toBe(false);
  });

  it('an instance admin opens workspace creation to everyone', async () => {
    const calls = fakeApi({ isInstanceAdmin: true, canCreateWorkspaces: true });
    renderPage();
    const user = userEvent.setup();
    expect(await screen.findByRole('form', { name: 'New workspace' })).toBeInTheDocument();
    const section = await screen.findByRole('region', { name: 'Instance settings' });
    expect(await within(section).findByLabelText('Instance admins only')).toBeChecked();
    await user.click(within(section).getByLabelText('Every signed-in user'));
    await vi.waitFor(() =>
      expect(within(section).getByLabelText('Every signed-in user')).toBeChecked(),
    );
    const patch = calls.find((c) => c.method === 'PATCH');
    expect(patch?.url).toBe('/api/instance/settings');
    expect(JSON.parse(String(patch?.body))).toEqual({ workspaceCreation: 'everyone' });
  });
});

describe('AccountPage: two-factor', () => {
  it('asks for the password before setting up an authenticator', async () => {
    const calls = fakeApi();
    renderPage();
    const user = userEvent.setup();
    const form = await screen.findByRole('form', { name: 'Set up two-factor' });
    const password = within(form).getByLabelText('Password');
    expect(password).toBeRequired();
    await user.type(password, 'My-own-password-1');
    await user.click(within(form).getByRole('button', { name: 'Set up two-factor' }));
    expect(await screen.findByRole('form', { name: 'Confirm two-factor' })).toBeInTheDocument();
    const enrol = calls.find((c) => c.url === '/api/auth/two-factor/enrol');
    expect(JSON.parse(String(enrol?.body))).toEqual({ password: 'My-own-password-1' });
  });
});
