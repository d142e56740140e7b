import type { TAuditEvent, TWorkspaceAuditVerifyResult } from '@bastion/contracts';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { cleanup, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createMemoryRouter, RouterProvider } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuditPage } from './audit-page';

const WID = '11111111-1111-4111-8111-111111111111';
const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

const entry = (sequence: number, action: TAuditEvent['action']): TAuditEvent => ({
  sequence: String(sequence),
  occurredAt: '2026-01-02T03:04:05.000Z',
  actor: { userId: '22222222-2222-4222-8222-222222222222', email: 'ada@example.test' },
  workspaceId: WID,
  action,
  target: { type: 'user', id: '33333333-3333-4333-8333-333333333333' },
  ip: '203.0.113.9',
  userAgent: 'Firefox',
  correlationId: 'c-1',
  details: { email: 'bob@example.test', role: 'viewer' },
  prevHash: '0'.repeat(64),
  hash: 'a'.repeat(64),
});

function renderPage(role: 'admin' | 'editor', verify?: TWorkspaceAuditVerifyResult) {
  const fetchMock = vi.fn((url: string) => {
    if (url === '/api/me') {
      return Promise.resolve(
        json(200, {
          user: { id: 'u', email: 'ada@example.test', twoFactorEnabled: false },
          memberships: [{ workspaceId: WID, workspaceName: 'Acme', role }],
          csrfToken: 'csrf',
        }),
      );
    }
    if (url.startsWith(`/api/workspaces/${WID}/audit-events/verify`)) {
      return Promise.resolve(json(200, verify));
    }
    if (url.startsWith(`/api/workspaces/${WID}/audit-events`)) {
      const cursor = new URL(url, 'http://x').searchParams.get('cursor');
      return Promise.resolve(
        json(
          200,
          cursor
            ? { items: [entry(1, 'workspace.created')], nextCursor: null }
            : { items: [entry(2, 'member.added')], nextCursor: '2' },
        ),
      );
    }
    return Promise.resolve(
      json(404, { statusCode: 404, error: 'x', message: 'nf', correlationId: 'c' }),
    );
  });
  vi.stubGlobal('fetch', fetchMock);
  const router = createMemoryRouter([{ path: '/w/:workspaceId/audit', element: <AuditPage /> }], {
    initialEntries: [`/w/${WID}/audit`],
  });
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <RouterProvider router={router} />
    </QueryClientProvider>,
  );
  const urls = () => fetchMock.mock.calls.map(([url]) => url);
  return { urls };
}

describe('AuditPage', () => {
  afterEach(() => {
    cleanup();
    vi.unstubAllGlobals();
  });

  it('lists entries, pages to older ones, and filters through the query string', async () => {
    const { urls } = renderPage('admin');
    const table = await screen.findByRole('table');
    const row = within(table).getByText('member.added').closest('tr') as HTMLElement;
    expect(within(row).getByText('ada@example.test')).toBeInTheDocument();
    expect(within(row).getByText(/email: bob@example.test; role: viewer/)).toBeInTheDocument();
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Load older entries' }));
    expect(await within(table).findByText('workspace.created')).toBeInTheDocument();
    expect(urls().some((u) => u.includes('cursor=2'))).toBe(true);

    await user.type(screen.getByLabelText('Actor'), 'ada');
    await user.selectOptions(screen.getByLabelText('Action'), 'auth.login');
    await user.click(screen.getByRole('button', { name: 'Apply filters' }));
    await waitFor(() =>
      expect(urls().some((u) => u.includes('actor=ada') && u.includes('action=auth.login'))).toBe(
        true,
      ),
    );
    const csv = screen.getByRole('link', { name: 'Export CSV' });
    expect(csv.getAttribute('href')).toBe(
      `/api/workspaces/${WID}/audit-events?actor=ada&action=auth.login&format=csv`,
    );
    expect(screen.getByRole('link', { name: 'Export JSON Lines' }).getAttribute('href')).toMatch(
      /format=jsonl$/,
    );
  });

  it('shows the first broken link when verification fails', async () => {
    renderPage('admin', {
      ok: false,
      checkedEntries: 4,
      newest: { sequence: '4', hash: 'b'.repeat(64) },
      pruned: null,
      firstBroken: {
        sequence: '5',
        reason: 'hash_mismatch',
        message: 'entry 5 does not match its hash: it was changed after it was written',
      },
    });
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Verify the log' }));
    expect(await screen.findByRole('alert')).toHaveTextContent(
      'Broken at entry #5: entry 5 does not match its hash',
    );
  });

  it("reports an intact log on the workspace's own entries, with their newest hash", async () => {
    renderPage('admin', {
      ok: true,
      checkedEntries: 12,
      newest: { sequence: '40', hash: 'c'.repeat(64) },
      pruned: null,
      firstBroken: null,
    });
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Verify the log' }));
    expect(await screen.findByRole('status')).toHaveTextContent(
      `Intact: 12 entries of this workspace checked, up to entry #40 (hash ${'c'.repeat(16)}…).`,
    );
  });

  it('tells non-admins the log is for admins, without asking the API for it', async () => {
    const { urls } = renderPage('editor');
    expect(await screen.findByRole('alert')).toHaveTextContent(/Only admins/);
    expect(urls().filter((u) => u.includes('audit-events/verify'))).toEqual([]);
  });
});
