import type { TAppDefinition, TPublishedApp } from '@bastion/contracts';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createMemoryRouter, RouterProvider } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppViewerPage } from './app-viewer-page';

const WID = '11111111-1111-4111-8111-111111111111';
const APP = '44444444-4444-4444-8444-444444444444';
const USER = '22222222-2222-4222-8222-222222222222';

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

const text = (id: string, value: string) => ({
  id,
  type: 'text' as const,
  layout: { x: 0, y: 0, w: 4, h: 1 },
  props: { text: value },
});

const TWO_PAGES: TAppDefinition = {
  pages: [
    { id: 'home', name: 'Home', components: [text('text1', 'Welcome home')] },
    { id: 'orders', name: 'Orders', components: [text('text2', 'All the orders')] },
  ],
};

/** A fake API: a signed-in viewer and the published app with `definition`, no queries. */
function fakeApi(definition: TAppDefinition) {
  const app: TPublishedApp = {
    id: APP,
    name: 'Shop',
    definition,
    queries: [],
    publishedAt: '2025-01-01T00:00:00.000Z',
  };
  vi.stubGlobal(
    'fetch',
    vi.fn((url: string) => {
      if (url === '/api/me') {
        return Promise.resolve(
          json(200, {
            user: { id: USER, email: 'vic@example.test', twoFactorEnabled: false },
            memberships: [{ workspaceId: WID, workspaceName: 'Acme', role: 'viewer' }],
            csrfToken: 'csrf-1',
          }),
        );
      }
      if (url === `/api/workspaces/${WID}/apps/${APP}/published`) {
        return Promise.resolve(json(200, app));
      }
      return Promise.resolve(
        json(404, { statusCode: 404, error: 'Not Found', message: 'nf', correlationId: 'c' }),
      );
    }),
  );
}

function renderViewer(entry: string) {
  const router = createMemoryRouter(
    [{ path: '/view/:workspaceId/:appId', element: <AppViewerPage /> }],
    { initialEntries: [entry] },
  );
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <RouterProvider router={router} />
    </QueryClientProvider>,
  );
  return router;
}

const base = `/view/${WID}/${APP}`;

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('AppViewerPage: pages', () => {
  it('shows the first page and links to each page; a link switches page and URL', async () => {
    fakeApi(TWO_PAGES);
    const router = renderViewer(base);
    const user = userEvent.setup();
    expect(await screen.findByText('Welcome home')).toBeInTheDocument();
    expect(screen.queryByText('All the orders')).toBeNull();

    const nav = screen.getByRole('navigation', { name: 'Pages' });
    expect(within(nav).getByRole('link', { name: 'Home' })).toHaveAttribute('aria-current', 'page');
    const orders = within(nav).getByRole('link', { name: 'Orders' });
    expect(orders).not.toHaveAttribute('aria-current');
    expect(orders).toHaveAttribute('href', `${base}?page=orders`);

    await user.click(orders);
    expect(await screen.findByText('All the orders')).toBeInTheDocument();
    expect(screen.queryByText('Welcome home')).toBeNull();
    expect(router.state.location.search).toBe('?page=orders');
    expect(within(nav).getByRole('link', { name: 'Orders' })).toHaveAttribute(
      'aria-current',
      'page',
    );
  });

  it('opens the page named in the URL', async () => {
    fakeApi(TWO_PAGES);
    renderViewer(`${base}?page=orders`);
    expect(await screen.findByText('All the orders')).toBeInTheDocument();
    expect(screen.queryByText('Welcome home')).toBeNull();
    expect(screen.getByRole('link', { name: 'Orders' })).toHaveAttribute('aria-current', 'page');
  });

  it('falls back to the first page for an unknown page id', async () => {
    fakeApi(TWO_PAGES);
    renderViewer(`${base}?page=nope`);
    expect(await screen.findByText('Welcome home')).toBeInTheDocument();
    expect(screen.queryByText('All the orders')).toBeNull();
    expect(screen.getByRole('link', { name: 'Home' })).toHaveAttribute('aria-current', 'page');
  });

  it('keeps input values across pages: bindings read components of other pages', async () => {
    fakeApi({
      pages: [
        {
          id: 'form',
          name: 'Form',
          components: [
            {
              id: 'input1',
              type: 'textInput',
              layout: { x: 0, y: 0, w: 4, h: 2 },
              props: { label: 'Name', defaultValue: '' },
            },
          ],
        },
        { id: 'hello', name: 'Hello', components: [text('text1', 'Hello {{ input1.value }}')] },
      ],
    });
    renderViewer(base);
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText('Name'), 'Ada');
    await user.click(screen.getByRole('link', { name: 'Hello' }));
    expect(await screen.findByText('Hello Ada')).toBeInTheDocument();
    expect(screen.queryByLabelText('Name')).toBeNull();
  });

  it('shows no page navigation for a one-page app', async () => {
    fakeApi({ pages: [TWO_PAGES.pages[0]] });
    renderViewer(`${base}?page=home`);
    expect(await screen.findByText('Welcome home')).toBeInTheDocument();
    expect(screen.queryByRole('navigation')).toBeNull();
    expect(screen.queryByRole('link', { name: 'Home' })).toBeNull();
  });
});

describe('AppViewerPage: parameters', () => {
  it('sends a text input bound to an integer parameter as the string typed, digit for digit', async () => {
    const QID = '55555555-5555-4555-8555-555555555555';
    const app: TPublishedApp = {
      id: APP,
      name: 'Shop',
      definition: {
        pages: [
          {
            id: 'home',
            name: 'Home',
            components: [
              {
                id: 'input1',
                type: 'textInput',
                layout: { x: 0, y: 0, w: 4, h: 2 },
                props: { label: 'Order id', defaultValue: '' },
              },
              {
                id: 'button1',
                type: 'button',
                layout: { x: 0, y: 2, w: 2, h: 1 },
                props: { label: 'Find', disabled: '' },
                events: [{ on: 'click', action: 'runQuery', queryId: QID }],
              },
            ],
          },
        ],
      },
      queries: [
        {
          id: QID,
          name: 'order',
          params: [{ name: 'input1__value', type: 'integer', required: false }],
        },
      ],
      publishedAt: '2025-01-01T00:00:00.000Z',
    };
    const runs: string[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn((url: string, init: RequestInit = {}) => {
        if (url === '/api/me') {
          return Promise.resolve(
            json(200, {
              user: { id: USER, email: 'vic@example.test', twoFactorEnabled: false },
              memberships: [{ workspaceId: WID, workspaceName: 'Acme', role: 'viewer' }],
              csrfToken: 'csrf-1',
            }),
          );
        }
        if (url === `/api/workspaces/${WID}/apps/${APP}/published`) {
          return Promise.resolve(json(200, app));
        }
        if (url === `/api/workspaces/${WID}/apps/${APP}/queries/${QID}/run`) {
          runs.push(init.body as string);
          return Promise.resolve(
            json(200, { columns: [], rows: [], rowCount: 0, truncated: false, durationMs: 1 }),
          );
        }
        return Promise.resolve(
          json(404, { statusCode: 404, error: 'Not Found', message: 'nf', correlationId: 'c' }),
        );
      }),
    );
    renderViewer(base);
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText('Order id'), '9007199254740993');
    await user.click(screen.getByRole('button', { name: 'Find' }));
    await vi.waitFor(() => expect(runs).toHaveLength(1));
    expect(runs[0]).toBe('{"params":{"input1__value":"9007199254740993"}}');
  });
});
