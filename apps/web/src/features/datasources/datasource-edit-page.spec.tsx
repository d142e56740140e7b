import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { cleanup, render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createMemoryRouter, RouterProvider } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DatasourceEditPage } from './datasource-edit-page';

const WID = '0b0e8f8e-1a53-4c5d-8f43-3c3f5bd3f0a1';
const DSID = '6f1c2b1e-8d1e-4b47-9d59-5b1f0d0c9a11';

const catalog = [
  {
    type: 'postgres',
    label: 'PostgreSQL',
    configFields: [{ name: 'host', label: 'Host', kind: 'string', required: true }],
    secretFields: [{ name: 'password', label: 'Password', kind: 'password', required: false }],
    targetFields: ['host'],
  },
];

function datasource(needsReentry: boolean) {
  return {
    id: DSID,
    workspaceId: WID,
    name: 'People DB',
    type: 'postgres',
    config: { host: 'db.internal' },
    secrets: { password: { isSet: true } },
    needsReentry,
    version: 3,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

/** A fake API: answers by path and records every request body. */
function fakeApi(ds: unknown, publicIps: string[]) {
  const calls: { method: string; url: string; body: unknown }[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn((url: string, init?: RequestInit) => {
      const method = init?.method ?? 'GET';
      const body: unknown = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
      calls.push({ method, url, body });
      const json = (data: unknown) =>
        Promise.resolve(new Response(JSON.stringify(data), { status: 200 }));
      if (url === '/api/datasource-types') return json(catalog);
      if (url === '/api/egress') return json({ publicIps });
      if (url.endsWith(`/datasources/${DSID}/test`))
        return json({ ok: true, message: 'Connected as app' });
      if (url.endsWith(`/datasources/${DSID}`)) return json(ds);
      return Promise.resolve(new Response('{}', { status: 404 }));
    }),
  );
  return calls;
}

function renderPage() {
  const router = createMemoryRouter(
    [{ path: '/w/:workspaceId/datasources/:datasourceId', element: <DatasourceEditPage /> }],
    { initialEntries: [`/w/${WID}/datasources/${DSID}`] },
  );
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return render(
    <QueryClientProvider client={qc}>
      <RouterProvider router={router} />
    </QueryClientProvider>,
  );
}

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('DatasourceEditPage', () => {
  it('asks to re-enter credentials when the stored ones cannot be read', async () => {
    fakeApi(datasource(true), []);
    renderPage();
    expect(await screen.findByRole('alert')).toHaveTextContent('Re-enter credentials');
    expect(screen.getByLabelText('Password')).toHaveAttribute(
      'placeholder',
      'Encrypted on the server side',
    );
    expect(screen.queryByRole('complementary', { name: 'Egress addresses' })).toBeNull();
  });

  it('shows the egress addresses and tests the current form values without saving', async () => {
    const calls = fakeApi(datasource(false), ['203.0.113.7', '198.51.100.2']);
    renderPage();
    const notice = await screen.findByRole('complementary', { name: 'Egress addresses' });
    expect(notice).toHaveTextContent('203.0.113.7');
    expect(notice).toHaveTextContent('Allow these addresses in your database firewall');
    expect(screen.queryByText('Re-enter credentials', { exact: false })).toBeNull();
    await userEvent.setup().click(screen.getByRole('button', { name: 'Test connection' }));
    expect(await screen.findByTestId('test-result')).toHaveTextContent(
      'Connected: Connected as app',
    );
    const test = calls.find((c) => c.url.endsWith('/test'));
    expect(test).toMatchObject({
      method: 'POST',
      body: { config: { host: 'db.internal' }, secrets: {} },
    });
    expect(calls.some((c) => c.method === 'PATCH')).toBe(false);
  });
});

describe('DatasourceEditPage: versions', () => {
  it('saves with If-Match; a 409 offers "Keep mine", which sends the body again with the current version', async () => {
    const sent: { ifMatch: string | undefined; body: unknown }[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn((url: string, init?: RequestInit) => {
        const method = init?.method ?? 'GET';
        const respond = (status: number, data: unknown) =>
          Promise.resolve(new Response(JSON.stringify(data), { status }));
        if (url === '/api/datasource-types') return respond(200, catalog);
        if (url === '/api/egress') return respond(200, { publicIps: [] });
        if (url.endsWith(`/datasources/${DSID}`) && method === 'PATCH') {
          const ifMatch = (init?.headers as Record<string, string>)['if-match'];
          sent.push({ ifMatch, body: JSON.parse(init?.body as string) });
          if (sent.length === 1) {
            return respond(409, {
              statusCode: 409,
              error: 'Conflict',
              message: 'This datasource was changed elsewhere',
              correlationId: 'c',
              currentVersion: 4,
            });
          }
          return respond(200, { ...datasource(false), version: 5 });
        }
        if (url.endsWith(`/datasources/${DSID}`)) return respond(200, datasource(false));
        return respond(404, {});
      }),
    );
    renderPage();
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Save changes' }));
    const dialog = await screen.findByRole('dialog', {
      name: 'This datasource was changed elsewhere',
    });
    expect(sent[0].ifMatch).toBe('"3"');
    await user.click(within(dialog).getByRole('button', { name: 'Keep mine' }));
    await vi.waitFor(() => expect(sent).toHaveLength(2));
    expect(sent[1]).toEqual({ ifMatch: '"4"', body: sent[0].body });
    await vi.waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
  }, 15_000);
});
