import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { cleanup, render, screen } from '@testing-library/react';
import { createMemoryRouter, RouterProvider } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HomePage } from './home-page';

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

const signedIn = {
  user: { id: 'u', email: 'ada@example.test', twoFactorEnabled: false, isInstanceAdmin: true },
  memberships: [
    { workspaceId: 'w-1', workspaceName: 'Finance', role: 'admin' },
    { workspaceId: 'w-2', workspaceName: 'Support', role: 'viewer' },
  ],
  csrfToken: 'csrf-1',
  signInMethod: 'password',
  canCreateWorkspaces: true,
};

/** Renders `/` with a fake API: `setupRequired` and `me` (null: signed out). */
function renderHome(setupRequired: boolean, me: unknown) {
  vi.stubGlobal(
    'fetch',
    vi.fn((url: string) => {
      if (url === '/api/setup') return Promise.resolve(json(200, { setupRequired }));
      if (url === '/api/me') {
        return Promise.resolve(
          me ? json(200, me) : json(401, { statusCode: 401, message: 'Sign in to continue' }),
        );
      }
      return Promise.resolve(json(404, { statusCode: 404, message: 'not found' }));
    }),
  );
  const router = createMemoryRouter(
    [
      { path: '/', element: <HomePage /> },
      { path: '/setup', element: <h1>Set up Bastion</h1> },
    ],
    { initialEntries: ['/'] },
  );
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <RouterProvider router={router} />
    </QueryClientProvider>,
  );
  return router;
}

describe('HomePage', () => {
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it('sends a fresh instance (no account yet) to first-run setup', async () => {
    const router = renderHome(true, null);
    expect(await screen.findByRole('heading', { name: 'Set up Bastion' })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe('/setup');
  });

  it('offers sign-in when signed out', async () => {
    renderHome(false, null);
    expect(await screen.findByRole('link', { name: 'Sign in to start' })).toHaveAttribute(
      'href',
      '/sign-in',
    );
  });

  it('lists the workspaces and their apps when signed in, not "Sign in to start"', async () => {
    renderHome(false, signedIn);
    expect(await screen.findByRole('link', { name: 'Finance' })).toHaveAttribute('href', '/w/w-1');
    expect(screen.getByRole('link', { name: 'Support' })).toHaveAttribute('href', '/w/w-2');
    expect(screen.getAllByRole('link', { name: 'apps' })[0]).toHaveAttribute('href', '/w/w-1/apps');
    expect(screen.queryByText('Sign in to start')).toBeNull();
  });
});
