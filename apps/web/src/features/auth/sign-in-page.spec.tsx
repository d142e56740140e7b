import { TWO_FACTOR_REQUIRED_MESSAGE } from '@bastion/contracts';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { cleanup, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createMemoryRouter, RouterProvider } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SignInPage } from './sign-in-page';

type Handler = (url: string, init: RequestInit) => Response;

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const error = (status: number, message: string, correlationId = 'corr-1') =>
  json(status, { statusCode: status, error: 'Unauthorized', message, correlationId });

/** Renders the sign-in page at `/sign-in?next=...` with a fake API behind `fetch`. */
function renderSignIn(login: Handler) {
  const fetchMock = vi.fn((url: string, init: RequestInit = {}) => {
    if (url === '/api/setup') return Promise.resolve(json(200, { setupRequired: false }));
    if (url === '/api/me') return Promise.resolve(error(401, 'Sign in to continue'));
    if (url === '/api/auth/login') return Promise.resolve(login(url, init));
    return Promise.resolve(error(404, 'not found'));
  });
  vi.stubGlobal('fetch', fetchMock);
  const router = createMemoryRouter(
    [
      { path: '/sign-in', element: <SignInPage /> },
      { path: '/w/:id/apps', element: <h1>Apps page</h1> },
    ],
    { initialEntries: ['/sign-in?next=%2Fw%2Fabc%2Fapps'] },
  );
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <RouterProvider router={router} />
    </QueryClientProvider>,
  );
  const loginBodies = () =>
    fetchMock.mock.calls
      .filter(([url]) => url === '/api/auth/login')
      .map(([, init]) => JSON.parse(init?.body as string) as Record<string, string>);
  return { fetchMock, loginBodies, router };
}

async function submitPassword() {
  const user = userEvent.setup();
  await user.type(screen.getByLabelText('Email'), 'ada@example.test');
  await user.type(screen.getByLabelText('Password'), 'a-long-passphrase');
  await user.click(screen.getByRole('button', { name: 'Sign in' }));
  return user;
}

describe('SignInPage two-factor step', () => {
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it('asks for the code after the password, sends it with the password, then follows ?next', async () => {
    const { loginBodies, router } = renderSignIn((_url, init) => {
      const body = JSON.parse(init.body as string) as { totpCode?: string };
      if (!body.totpCode) return error(401, TWO_FACTOR_REQUIRED_MESSAGE);
      return json(200, {
        user: { id: 'u', email: 'ada@example.test', twoFactorEnabled: true },
        csrfToken: 'csrf-1',
      });
    });
    const user = await submitPassword();
    const codeInput = await screen.findByLabelText('Authentication code');
    // The "two-factor required" answer is a step, not an error.
    expect(screen.queryByRole('alert')).toBeNull();
    expect(screen.queryByLabelText('Password')).toBeNull();
    await user.type(codeInput, '123456');
    await user.click(screen.getByRole('button', { name: 'Verify' }));
    expect(await screen.findByRole('heading', { name: 'Apps page' })).toBeInTheDocument();
    expect(router.state.location.pathname).toBe('/w/abc/apps');
    expect(loginBodies()).toEqual([
      { email: 'ada@example.test', password: 'a-long-passphrase' },
      { email: 'ada@example.test', password: 'a-long-passphrase', totpCode: '123456' },
    ]);
  });

  it('shows a wrong code as an error with its correlation id and stays on the code step', async () => {
    renderSignIn((_url, init) => {
      const body = JSON.parse(init.body as string) as { totpCode?: string };
      return body.totpCode
        ? error(
            401,
            'The two-factor code is not valid; wait for the next code and try again',
            'corr-77',
          )
        : error(401, TWO_FACTOR_REQUIRED_MESSAGE);
    });
    const user = await submitPassword();
    await user.type(await screen.findByLabelText('Authentication code'), '000000');
    await user.click(screen.getByRole('button', { name: 'Verify' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The two-factor code is not valid');
    expect(alert).toHaveTextContent('corr-77');
    expect(screen.getByLabelText('Authentication code')).toBeInTheDocument();
  });

  it('a wrong password stays on the first step with the generic message', async () => {
    renderSignIn(() => error(401, 'Invalid email or password', 'corr-9'));
    await submitPassword();
    expect(await screen.findByRole('alert')).toHaveTextContent('Invalid email or password');
    expect(screen.queryByLabelText('Authentication code')).toBeNull();
  });

  it('a rate-limited attempt shows the wait', async () => {
    renderSignIn(() =>
      json(429, {
        statusCode: 429,
        error: 'Too Many Requests',
        message: 'Too many attempts; try again in 15 minutes',
        correlationId: 'corr-429',
      }),
    );
    await submitPassword();
    expect(await screen.findByRole('alert')).toHaveTextContent('try again in 15 minutes');
  });
});
