import type { TInvitationPreview } from '@bastion/contracts';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { cleanup, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createMemoryRouter, RouterProvider } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { setCsrfToken } from '../../lib/api-client';
import { InvitePage } from './invite-page';

const WID = '11111111-1111-4111-8111-111111111111';
const TOKEN = 'A'.repeat(43);

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

const preview = (accountRequired: boolean): TInvitationPreview => ({
  workspaceName: 'Acme',
  role: 'editor',
  email: 'cleo@example.test',
  expiresAt: '2026-12-13T00:00:00.000Z',
  accountRequired,
});

/** A fake API: the invitation's preview, who is signed in, and accept. */
function fakeApi(options: {
  preview: TInvitationPreview | { status: number; message: string };
  signedInAs?: string;
}) {
  const calls: { method: string; url: string; body?: unknown; headers: Record<string, string> }[] =
    [];
  let signedIn = options.signedInAs;
  vi.stubGlobal(
    'fetch',
    vi.fn((url: string, init: RequestInit = {}) => {
      const method = init.method ?? 'GET';
      const body = typeof init.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined;
      calls.push({ method, url, body, headers: (init.headers ?? {}) as Record<string, string> });
      if (url === '/api/me') {
        if (!signedIn) {
          return Promise.resolve(
            json(401, {
              statusCode: 401,
              error: 'Unauthorized',
              message: 'Sign in',
              correlationId: 'c',
            }),
          );
        }
        return Promise.resolve(
          json(200, {
            user: { id: 'u', email: signedIn, twoFactorEnabled: false, isInstanceAdmin: false },
            memberships: [],
            csrfToken: 'csrf-me',
            canCreateWorkspaces: false,
          }),
        );
      }
      if (url === `/api/invitations/${TOKEN}`) {
        const p = options.preview;
        return Promise.resolve(
          'status' in p
            ? json(p.status, {
                statusCode: p.status,
                error: 'Gone',
                message: p.message,
                correlationId: 'c',
              })
            : json(200, p),
        );
      }
      if (url === `/api/invitations/${TOKEN}/accept` && method === 'POST') {
        signedIn = 'cleo@example.test';
        return Promise.resolve(
          json(200, {
            workspaceId: WID,
            workspaceName: 'Acme',
            role: 'editor',
            user: { id: 'u', email: 'cleo@example.test', twoFactorEnabled: false },
            csrfToken: 'csrf-new',
          }),
        );
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
      { path: '/invite/:token', element: <InvitePage /> },
      { path: '/w/:workspaceId/apps', element: <h1>Apps page</h1> },
      { path: '/sign-in', element: <h1>Sign-in page</h1> },
    ],
    { initialEntries: [`/invite/${TOKEN}`] },
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

describe('InvitePage', () => {
  it('a new email sets its own password (confirmed) and lands in the workspace', async () => {
    const calls = fakeApi({ preview: preview(true) });
    const router = renderPage();
    const user = userEvent.setup();
    expect(await screen.findByRole('heading', { name: 'Join Acme' })).toBeInTheDocument();
    expect(screen.getByText('editor')).toBeInTheDocument();
    await user.type(screen.getByLabelText('Password'), 'A-long-enough-phrase-1');
    await user.type(screen.getByLabelText('Confirm password'), 'A-long-enough-phrase-2');
    await user.click(screen.getByRole('button', { name: 'Create account and join' }));
    expect(screen.getByRole('alert')).toHaveTextContent('The two passwords differ.');
    expect(calls.some((c) => c.method === 'POST')).toBe(false);

    await user.clear(screen.getByLabelText('Confirm password'));
    await user.type(screen.getByLabelText('Confirm password'), 'A-long-enough-phrase-1');
    await user.click(screen.getByRole('button', { name: 'Create account and join' }));
    expect(await screen.findByRole('heading', { name: 'Apps page' })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe(`/w/${WID}/apps`);
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({
      password: 'A-long-enough-phrase-1',
    });
  });

  it('an existing account that is signed out is asked to sign in as the invited email', async () => {
    fakeApi({ preview: preview(false) });
    renderPage();
    const link = await screen.findByRole('link', { name: 'Sign in as cleo@example.test' });
    expect(link).toHaveAttribute('href', `/sign-in?next=${encodeURIComponent(`/invite/${TOKEN}`)}`);
    expect(screen.queryByLabelText('Password')).toBeNull();
  });

  it('signed in as another email: no accept button, a sign-in link', async () => {
    fakeApi({ preview: preview(false), signedInAs: 'someone@example.test' });
    renderPage();
    expect(
      await screen.findByText(/You are signed in as someone@example.test/),
    ).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Accept/ })).toBeNull();
  });

  it('signed in as the invited email: Accept (with the CSRF header, no password)', async () => {
    const calls = fakeApi({ preview: preview(false), signedInAs: 'cleo@example.test' });
    renderPage();
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Accept as cleo@example.test' }));
    expect(await screen.findByRole('heading', { name: 'Apps page' })).toBeInTheDocument();
    const post = calls.find((c) => c.method === 'POST');
    expect(post?.body).toEqual({});
    expect(post?.headers['x-csrf-token']).toBe('csrf-me');
  });

  it('a used or expired link shows the server message', async () => {
    fakeApi({ preview: { status: 410, message: 'This invitation link has expired' } });
    renderPage();
    expect(await screen.findByRole('alert')).toHaveTextContent('This invitation link has expired');
  });
});
