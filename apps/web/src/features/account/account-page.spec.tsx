import type { TSessionInfo } from '@bastion/contracts';
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

const session = (id: string, current: boolean, userAgent: string): TSessionInfo => ({
  id,
  createdAt: '2026-01-02T03:04:05.000Z',
  lastSeenAt: '2026-01-02T04:04:05.000Z',
  ip: '203.0.113.9',
  userAgent,
  current,
});

/** A fake API for the account page; DELETE of a session takes it out of the list. */
function fakeApi() {
  let sessions = [session(CURRENT, true, 'Firefox'), session(LAPTOP, false, 'Safari')];
  const calls: { method: string; url: string }[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn((url: string, init: RequestInit = {}) => {
      const method = init.method ?? 'GET';
      calls.push({ method, url });
      if (url === '/api/me') {
        return Promise.resolve(
          json(200, {
            user: { id: 'u', email: 'ada@example.test', twoFactorEnabled: false },
            memberships: [],
            csrfToken: 'csrf-1',
          }),
        );
      }
      if (url === '/api/auth/two-factor') {
        return Promise.resolve(json(200, { enabled: false, recoveryCodesLeft: 0 }));
      }
      if (url === '/api/auth/sessions') return Promise.resolve(json(200, sessions));
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
