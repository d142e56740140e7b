import type { TCreatedInvitation, TInvitation, TMember } from '@bastion/contracts';
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

const INVITE_ID = '44444444-4444-4444-8444-444444444444';
const linkFor = (n: number) => `https://bastion.example/invite/${'t'.repeat(42)}${n}`;

/**
 * A fake API for the members page; DELETE of a member takes it out of the list; invitations
 * are kept like the server does (the link only in the create/resend answer).
 */
function fakeApi(initial: TMember[], deleteStatus = 204) {
  let members = [...initial];
  let invitations: TInvitation[] = [];
  let links = 0;
  const calls: {
    method: string;
    url: string;
    headers: Record<string, string>;
    body?: unknown;
  }[] = [];
  const created = (i: TInvitation): TCreatedInvitation => ({
    id: i.id,
    email: i.email,
    role: i.role,
    expiresAt: i.expiresAt,
    inviteUrl: linkFor(++links),
  });
  vi.stubGlobal(
    'fetch',
    vi.fn((url: string, init: RequestInit = {}) => {
      const method = init.method ?? 'GET';
      calls.push({
        method,
        url,
        headers: (init.headers ?? {}) as Record<string, string>,
        body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
      });
      const invitationsUrl = `/api/workspaces/${WID}/invitations`;
      if (url === invitationsUrl && method === 'GET') {
        return Promise.resolve(json(200, invitations));
      }
      if (url === invitationsUrl && method === 'POST') {
        const body = JSON.parse(init.body as string) as { email: string; role: TMember['role'] };
        const invitation: TInvitation = {
          id: INVITE_ID,
          email: body.email,
          role: body.role,
          createdAt: '2026-12-06T00:00:00.000Z',
          expiresAt: '2026-12-13T00:00:00.000Z',
          expired: false,
        };
        invitations = [invitation];
        return Promise.resolve(json(201, created(invitation)));
      }
      if (url === `${invitationsUrl}/${INVITE_ID}/resend` && method === 'POST') {
        return Promise.resolve(json(201, created(invitations[0])));
      }
      if (url === `${invitationsUrl}/${INVITE_ID}` && method === 'DELETE') {
        invitations = [];
        return Promise.resolve(new Response(null, { status: 204 }));
      }
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

describe('MembersPage: invitations', () => {
  it('has no password field; invites by email and role, shows the link once with a copy button', async () => {
    const calls = fakeApi([admin]);
    renderPage();
    const user = userEvent.setup();
    // user-event installs its own clipboard; watch the writes to it.
    const writeText = vi.spyOn(navigator.clipboard, 'writeText');
    const form = await screen.findByRole('form', { name: 'Invite a member' });
    expect(form.querySelector('input[type="password"]')).toBeNull();
    await user.type(within(form).getByLabelText('Email'), 'cleo@example.test');
    await user.selectOptions(within(form).getByLabelText('Role'), 'editor');
    await user.click(within(form).getByRole('button', { name: 'Create invitation link' }));

    const link = await screen.findByLabelText('Invitation link');
    expect(link).toHaveValue(linkFor(1));
    const post = calls.find((c) => c.method === 'POST');
    expect(post?.body).toEqual({ email: 'cleo@example.test', role: 'editor' });
    expect(post?.headers['x-csrf-token']).toBe('csrf-1');
    await user.click(screen.getByRole('button', { name: 'Copy link' }));
    expect(writeText).toHaveBeenCalledWith(linkFor(1));
    expect(await screen.findByText('Invitation link copied')).toBeInTheDocument();

    // The pending list names the invitation, never its link.
    const pending = await screen.findByRole('region', { name: 'Pending invitations' });
    expect(await within(pending).findByText('cleo@example.test')).toBeInTheDocument();
    expect(pending.textContent).not.toContain('/invite/');
  });

  it('resend shows the new link; revoke takes the invitation off the list', async () => {
    const calls = fakeApi([admin]);
    renderPage();
    const user = userEvent.setup();
    const form = await screen.findByRole('form', { name: 'Invite a member' });
    await user.type(within(form).getByLabelText('Email'), 'dan@example.test');
    await user.click(within(form).getByRole('button', { name: 'Create invitation link' }));
    expect(await screen.findByLabelText('Invitation link')).toHaveValue(linkFor(1));

    await user.click(
      await screen.findByRole('button', { name: 'Resend invitation to dan@example.test' }),
    );
    await vi.waitFor(() =>
      expect(screen.getByLabelText('Invitation link')).toHaveValue(linkFor(2)),
    );

    await user.click(screen.getByRole('button', { name: 'Revoke invitation to dan@example.test' }));
    expect(
      await screen.findByText('Revoked the invitation to dan@example.test'),
    ).toBeInTheDocument();
    const pending = screen.getByRole('region', { name: 'Pending invitations' });
    await vi.waitFor(() => expect(within(pending).queryByText('dan@example.test')).toBeNull());
    // The revoked link is no longer shown to be copied.
    expect(screen.queryByLabelText('Invitation link')).toBeNull();
    expect(screen.queryByRole('button', { name: 'Copy link' })).toBeNull();
    expect(calls.filter((c) => c.method === 'DELETE').map((c) => c.url)).toEqual([
      `/api/workspaces/${WID}/invitations/${INVITE_ID}`,
    ]);
    // Nothing ever went to the old "add member" route.
    expect(calls.some((c) => c.method === 'POST' && c.url.endsWith('/members'))).toBe(false);
  });
});
