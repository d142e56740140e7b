import type { TMember } from '@bastion/contracts';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { cleanup, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createMemoryRouter, RouterProvider } from 'react-router';
import { Toaster } from 'sonner';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MembersPage } from './members-page';

const WID = '11111111-1111-4111-8111-111111111111';
const ADMIN = '22222222-2222-4222-8222-222222222222';
const BOB = '33333333-3333-4333-8333-333333333333';

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** A fake API for the members page; DELETE of a member takes it out of the list. */
function fakeApi(initial: TMember[], deleteStatus = 204) {
  let members = [...initial];
  const calls: { method: string; url: string; headers: Record<string, string> }[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn((url: string, init: RequestInit = {}) => {
      const method = init.method ?? 'GET';
      calls.push({ method, url, headers: (init.headers ?? {}) as Record<string, string> });
      if (url === '/api/me') {
        return Promise.resolve(
          json(200, {
            user: { id: ADMIN, email: 'ada@example.test', twoFactorEnabled: false },
            memberships: [{ workspaceId: WID, workspaceName: 'Acme', role: 'admin' }],
            csrfToken: 'csrf-1',
          }),
        );
      }
      if (url === `/api/workspaces/${WID}`) {
        return Promise.resolve(
          json(200, { id: WID, name: 'Acme', role: 'admin', requireTwoFactor: false }),
        );
      }
      if (url === `/api/workspaces/${WID}/members`) return Promise.resolve(json(200, members));
      const removed = /\/members\/([^/]+)$/.exec(url)?.[1];
      if (method === 'DELETE' && removed) {
        if (deleteStatus !== 204) {
          return Promise.resolve(
            json(deleteStatus, {
              statusCode: deleteStatus,
              error: 'Conflict',
              message: 'userId: the last admin cannot be removed',
              correlationId: 'corr-9',
            }),
          );
        }
        members = members.filter((m) => m.userId !== removed);
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
    [{ path: '/w/:workspaceId/members', element: <MembersPage /> }],
    { initialEntries: [`/w/${WID}/members`] },
  );
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <RouterProvider router={router} />
      <Toaster />
    </QueryClientProvider>,
  );
}

const admin: TMember = {
  userId: ADMIN,
  email: 'ada@example.test',
  role: 'admin',
  twoFactorEnabled: false,
};
const bob: TMember = {
  userId: BOB,
  email: 'bob@example.test',
  role: 'viewer',
  twoFactorEnabled: false,
};

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('MembersPage: removing a member', () => {
  it('asks for confirmation, removes on confirm, and says so in a toast', async () => {
    const calls = fakeApi([admin, bob]);
    renderPage();
    const user = userEvent.setup();
    const table = await screen.findByRole('table');
    // The only admin has no Remove action.
    const adminRow = within(table).getByText('ada@example.test').closest('tr') as HTMLElement;
    expect(within(adminRow).queryByRole('button', { name: /Remove/ })).toBeNull();
    expect(within(adminRow).getByText('Last admin')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Remove bob@example.test' }));
    const dialog = screen.getByRole('dialog', { name: 'Remove member' });
    expect(dialog).toHaveTextContent('Remove bob@example.test from Acme?');
    // Cancel sends nothing.
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(calls.filter((c) => c.method === 'DELETE')).toEqual([]);

    await user.click(screen.getByRole('button', { name: 'Remove bob@example.test' }));
    await user.click(
      within(screen.getByRole('dialog', { name: 'Remove member' })).getByRole('button', {
        name: 'Remove member',
      }),
    );
    expect(await screen.findByText('Removed bob@example.test from Acme')).toBeInTheDocument();
    const deletes = calls.filter((c) => c.method === 'DELETE');
    expect(deletes.map((c) => c.url)).toEqual([`/api/workspaces/${WID}/members/${BOB}`]);
    expect(deletes[0].headers['x-csrf-token']).toBe('csrf-1');
    await waitFor(() => expect(within(table).queryByText('bob@example.test')).toBeNull());
  });

  it('shows the server refusal in the dialog and keeps the member', async () => {
    const second: TMember = { ...admin, userId: BOB, email: 'bea@example.test' };
    fakeApi([admin, second], 409);
    renderPage();
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Remove bea@example.test' }));
    const dialog = screen.getByRole('dialog', { name: 'Remove member' });
    await user.click(within(dialog).getByRole('button', { name: 'Remove member' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(
      'Not removed: userId: the last admin cannot be removed',
    );
    expect(within(screen.getByRole('table')).getByText('bea@example.test')).toBeInTheDocument();
  });
});
