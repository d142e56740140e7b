import { ZAppDefinition, type TApp, type TAppDefinition } from '@bastion/contracts';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, cleanup, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createMemoryRouter, RouterProvider } from 'react-router';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AppEditorPage } from './app-editor-page';

const WID = '11111111-1111-4111-8111-111111111111';
const APP = '44444444-4444-4444-8444-444444444444';
const USER = '22222222-2222-4222-8222-222222222222';

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** A draft app with `definition`, no queries. */
function appWith(definition: TAppDefinition): TApp {
  return {
    id: APP,
    name: 'Pages app',
    definition,
    queries: [],
    publishedAt: null,
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
    version: 1,
    unpublishedChanges: null,
  };
}

/** A fake API for the editor; records each PATCH body of the app (the autosave). */
function fakeApi(app: TApp) {
  const patches: { definition?: TAppDefinition }[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn((url: string, init: RequestInit = {}) => {
      const method = init.method ?? 'GET';
      if (url === '/api/me') {
        return Promise.resolve(
          json(200, {
            user: { id: USER, email: 'ada@example.test', twoFactorEnabled: false },
            memberships: [{ workspaceId: WID, workspaceName: 'Acme', role: 'admin' }],
            csrfToken: 'csrf-1',
          }),
        );
      }
      if (url === `/api/workspaces/${WID}/datasources`) return Promise.resolve(json(200, []));
      if (url === `/api/workspaces/${WID}/apps/${APP}`) {
        if (method === 'PATCH') {
          const body = JSON.parse(init.body as string) as { definition?: TAppDefinition };
          patches.push(body);
          return Promise.resolve(json(200, { ...app, ...body }));
        }
        return Promise.resolve(json(200, app));
      }
      return Promise.resolve(
        json(404, { statusCode: 404, error: 'Not Found', message: 'nf', correlationId: 'c' }),
      );
    }),
  );
  return patches;
}

function renderEditor() {
  const router = createMemoryRouter(
    [{ path: '/w/:workspaceId/apps/:appId/edit', element: <AppEditorPage /> }],
    { initialEntries: [`/w/${WID}/apps/${APP}/edit`] },
  );
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <RouterProvider router={router} />
    </QueryClientProvider>,
  );
}

const pageBar = () => screen.getByRole('navigation', { name: 'Pages' });
const tab = (name: string) => within(pageBar()).getByRole('button', { name });
const canvasIds = () =>
  [...document.querySelectorAll('.canvas [data-component]')].map((e) =>
    e.getAttribute('data-component'),
  );

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe('AppEditorPage: pages', () => {
  it('adds a page, gives new components ids unique across pages, and autosaves both', async () => {
    const patches = fakeApi(
      appWith({
        pages: [
          {
            id: 'page1',
            name: 'Page 1',
            components: [
              {
                id: 'input1',
                type: 'textInput',
                layout: { x: 0, y: 0, w: 4, h: 2 },
                props: { label: 'Name' },
              },
            ],
          },
        ],
      }),
    );
    renderEditor();
    const user = userEvent.setup();
    await screen.findByRole('navigation', { name: 'Pages' });
    expect(tab('Page 1')).toHaveAttribute('aria-current', 'page');
    expect(canvasIds()).toEqual(['input1']);

    await user.click(within(pageBar()).getByRole('button', { name: 'Add page' }));
    expect(tab('Page 2')).toHaveAttribute('aria-current', 'page');
    expect(tab('Page 1')).not.toHaveAttribute('aria-current');
    // The new page is empty: the canvas shows only its own components.
    expect(canvasIds()).toEqual([]);
    expect(screen.getByTestId('save-status')).toHaveTextContent('Unsaved changes');

    await user.click(screen.getByRole('button', { name: 'Add Text input' }));
    // input1 lives on page 1, so the new input on page 2 is input2.
    expect(canvasIds()).toEqual(['input2']);

    await user.click(tab('Page 1'));
    expect(canvasIds()).toEqual(['input1']);

    // On a slow machine the debounce may save the new empty page first: wait for the last save.
    await waitFor(() =>
      expect(
        patches.at(-1)?.definition?.pages.map((p) => [p.id, p.name, p.components.map((c) => c.id)]),
      ).toEqual([
        ['page1', 'Page 1', ['input1']],
        ['page2', 'Page 2', ['input2']],
      ]),
    );
    expect(ZAppDefinition.safeParse(patches.at(-1)!.definition).success).toBe(true);
    await waitFor(() =>
      expect(screen.getByTestId('save-status')).toHaveTextContent('All changes saved'),
    );
  });

  it('renames a page inline; Escape cancels and a blank name is not kept', async () => {
    fakeApi(appWith({ pages: [{ id: 'page1', name: 'Page 1', components: [] }] }));
    renderEditor();
    const user = userEvent.setup();
    await screen.findByRole('navigation', { name: 'Pages' });

    await user.click(within(pageBar()).getByRole('button', { name: 'Rename Page 1' }));
    const input = within(pageBar()).getByRole('textbox', { name: 'Page name' });
    expect(input).toHaveFocus();
    await user.clear(input);
    await user.type(input, 'Customers{Enter}');
    expect(tab('Customers')).toHaveFocus();
    expect(tab('Customers')).toHaveAttribute('aria-current', 'page');

    // Double-click renames too; Escape keeps the old name.
    await user.dblClick(tab('Customers'));
    await user.type(within(pageBar()).getByRole('textbox', { name: 'Page name' }), 'X{Escape}');
    expect(tab('Customers')).toBeInTheDocument();

    await user.dblClick(tab('Customers'));
    await user.clear(within(pageBar()).getByRole('textbox', { name: 'Page name' }));
    await user.keyboard('{Enter}');
    expect(tab('Customers')).toBeInTheDocument();
  });

  it('deletes a page after confirmation; the last page cannot be deleted', async () => {
    const patches = fakeApi(
      appWith({
        pages: [
          { id: 'page1', name: 'Home', components: [] },
          {
            id: 'page2',
            name: 'Details',
            components: [
              { id: 'text1', type: 'text', layout: { x: 0, y: 0, w: 4, h: 1 }, props: {} },
            ],
          },
        ],
      }),
    );
    renderEditor();
    const user = userEvent.setup();
    await screen.findByRole('navigation', { name: 'Pages' });
    await user.click(tab('Details'));
    expect(canvasIds()).toEqual(['text1']);

    await user.click(within(pageBar()).getByRole('button', { name: 'Delete Details' }));
    const dialog = screen.getByRole('dialog', { name: 'Delete page' });
    expect(dialog).toHaveTextContent('Delete “Details” and its 1 component?');
    // Cancel keeps the page.
    await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(tab('Details')).toBeInTheDocument();

    await user.click(within(pageBar()).getByRole('button', { name: 'Delete Details' }));
    await user.click(
      within(screen.getByRole('dialog', { name: 'Delete page' })).getByRole('button', {
        name: 'Delete page',
      }),
    );
    expect(within(pageBar()).queryByRole('button', { name: 'Details' })).toBeNull();
    expect(tab('Home')).toHaveAttribute('aria-current', 'page');
    // One page left: its delete action is disabled.
    expect(within(pageBar()).getByRole('button', { name: 'Delete Home' })).toBeDisabled();

    await waitFor(() => expect(patches.length).toBeGreaterThan(0));
    expect(patches.at(-1)!.definition!.pages.map((p) => p.id)).toEqual(['page1']);
  });

  it('reorders pages with the move actions', async () => {
    fakeApi(
      appWith({
        pages: [
          { id: 'page1', name: 'One', components: [] },
          { id: 'page2', name: 'Two', components: [] },
        ],
      }),
    );
    renderEditor();
    const user = userEvent.setup();
    await screen.findByRole('navigation', { name: 'Pages' });
    expect(within(pageBar()).getByRole('button', { name: 'Move One left' })).toBeDisabled();
    await user.click(within(pageBar()).getByRole('button', { name: 'Move One right' }));
    const names = within(pageBar())
      .getAllByRole('listitem')
      .map((li) => li.textContent);
    expect(names).toEqual(['Two', 'One']);
    expect(within(pageBar()).getByRole('button', { name: 'Move One right' })).toBeDisabled();
  });
});

describe('AppEditorPage: query parameters', () => {
  // The SQL editor (CodeMirror) measures text ranges, which jsdom does not lay out.
  beforeAll(() => {
    Object.assign(Range.prototype, {
      getClientRects: () => [],
      getBoundingClientRect: () => new DOMRect(),
    });
  });
  afterAll(() => {
    const proto = Range.prototype as Partial<Range>;
    delete proto.getClientRects;
    delete proto.getBoundingClientRect;
  });

  it('offers the integer type for a parameter and autosaves it', async () => {
    const QID = '55555555-5555-4555-8555-555555555555';
    const DS = '66666666-6666-4666-8666-666666666666';
    const app: TApp = {
      ...appWith(ZAppDefinition.parse({ pages: [{ id: 'home', name: 'Home', components: [] }] })),
      queries: [
        {
          id: QID,
          appId: APP,
          name: 'order',
          datasourceId: DS,
          body: { sql: 'SELECT * FROM orders WHERE id = {{ id }}' },
          params: [{ name: 'id', type: 'string', required: true }],
          timeoutMs: null,
          maxRows: null,
          version: 1,
          updatedAt: '2025-01-01T00:00:00.000Z',
        },
      ],
    };
    fakeApi(app);
    const queryPatches: { params?: unknown }[] = [];
    const base = vi.mocked(fetch).getMockImplementation()!;
    vi.mocked(fetch).mockImplementation((url, init = {}) => {
      if (url === `/api/workspaces/${WID}/apps/${APP}/queries/${QID}` && init.method === 'PATCH') {
        const body = JSON.parse(init.body as string) as { params?: unknown };
        queryPatches.push(body);
        return Promise.resolve(json(200, { ...app.queries[0], ...body }));
      }
      return base(url, init);
    });
    renderEditor();
    const user = userEvent.setup();
    const select = await screen.findByLabelText('Type of id');
    expect(within(select).getByRole('option', { name: 'integer' })).toBeInTheDocument();
    await user.selectOptions(select, 'integer');
    await vi.waitFor(
      () =>
        expect(queryPatches.at(-1)?.params).toEqual([
          { name: 'id', type: 'integer', required: true },
        ]),
      { timeout: 5_000 },
    );
  });
});

describe('AppEditorPage: undo and redo', () => {
  const item = (id: string) => document.querySelector<HTMLElement>(`[data-component="${id}"]`)!;
  const ctrl = (keys: string) => `{Control>}${keys}{/Control}`;

  it('Ctrl+Z on the canvas undoes an add, Ctrl+Shift+Z and Ctrl+Y redo; buttons follow', async () => {
    fakeApi(appWith({ pages: [{ id: 'page1', name: 'Page 1', components: [] }] }));
    renderEditor();
    const user = userEvent.setup();
    const undoButton = await screen.findByRole('button', { name: 'Undo' });
    const redoButton = screen.getByRole('button', { name: 'Redo' });
    expect(undoButton).toBeDisabled();
    expect(redoButton).toBeDisabled();

    await user.click(screen.getByRole('button', { name: 'Add Text' }));
    expect(canvasIds()).toEqual(['text1']);
    expect(undoButton).toBeEnabled();
    expect(undoButton).toHaveAttribute('title', 'Undo add text1 (Ctrl/⌘+Z)');

    act(() => item('text1').focus());
    await user.keyboard(ctrl('z'));
    expect(canvasIds()).toEqual([]);
    expect(undoButton).toBeDisabled();
    expect(redoButton).toBeEnabled();
    await user.keyboard('{Control>}{Shift>}z{/Shift}{/Control}');
    expect(canvasIds()).toEqual(['text1']);
    await user.click(undoButton);
    expect(canvasIds()).toEqual([]);
    await user.keyboard(ctrl('y'));
    expect(canvasIds()).toEqual(['text1']);
    // The redone component is selected again, as it was.
    expect(screen.getByRole('heading', { name: 'Text text1' })).toBeInTheDocument();
  });

  it('typing in one property is one step; Ctrl+Z inside the field is left to the field', async () => {
    fakeApi(appWith({ pages: [{ id: 'page1', name: 'Page 1', components: [] }] }));
    renderEditor();
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Add Text' }));
    const field = screen.getByLabelText('Text', { selector: 'input' });
    await user.clear(field);
    await user.type(field, 'Hello');
    expect(item('text1')).toHaveTextContent('Hello');

    // In the field, Ctrl+Z is the field's own: the editor's history is not touched.
    await user.keyboard(ctrl('z'));
    expect(canvasIds()).toEqual(['text1']);

    act(() => item('text1').focus());
    await user.keyboard(ctrl('z'));
    expect(canvasIds()).toEqual(['text1']);
    expect(item('text1')).toHaveTextContent('Text');
    await user.keyboard(ctrl('z'));
    expect(canvasIds()).toEqual([]);
  });

  it('undo of a rename renames the references back', async () => {
    fakeApi(
      appWith({
        pages: [
          {
            id: 'page1',
            name: 'Page 1',
            components: [
              { id: 'input1', type: 'textInput', layout: { x: 0, y: 0, w: 4, h: 2 }, props: {} },
              {
                id: 'text1',
                type: 'text',
                layout: { x: 0, y: 2, w: 4, h: 1 },
                props: { text: 'Hi {{ input1.value }}' },
              },
            ],
          },
        ],
      }),
    );
    renderEditor();
    const user = userEvent.setup();
    await screen.findByRole('navigation', { name: 'Pages' });
    act(() => item('input1').focus());
    const name = screen.getByRole('textbox', { name: 'Name' });
    await user.clear(name);
    await user.type(name, 'who{Enter}');
    expect(canvasIds()).toEqual(['who', 'text1']);
    act(() => item('text1').focus());
    expect(screen.getByLabelText('Text', { selector: 'input' })).toHaveValue('Hi {{ who.value }}');

    await user.keyboard(ctrl('z'));
    expect(canvasIds()).toEqual(['input1', 'text1']);
    // Undo brings back the selection of before the rename; a click selects text1 again.
    expect(screen.getByRole('heading', { name: 'Text input input1' })).toBeInTheDocument();
    await user.click(item('text1'));
    expect(screen.getByLabelText('Text', { selector: 'input' })).toHaveValue(
      'Hi {{ input1.value }}',
    );
  });

  it('Delete on a focused component removes it; Ctrl+Z brings it back', async () => {
    const patches = fakeApi(
      appWith({
        pages: [
          {
            id: 'page1',
            name: 'Page 1',
            components: [
              { id: 'text1', type: 'text', layout: { x: 0, y: 0, w: 4, h: 1 }, props: {} },
            ],
          },
        ],
      }),
    );
    renderEditor();
    const user = userEvent.setup();
    await screen.findByRole('navigation', { name: 'Pages' });
    act(() => item('text1').focus());
    await user.keyboard('{Delete}');
    expect(canvasIds()).toEqual([]);
    await user.keyboard(ctrl('z'));
    expect(canvasIds()).toEqual(['text1']);
    // Back to the stored copy before the autosave ran: nothing to save.
    expect(screen.getByTestId('save-status')).toHaveTextContent('All changes saved');
    expect(patches).toEqual([]);
  });

  it('page operations are steps: undo removes an added page and shows the page of before', async () => {
    fakeApi(appWith({ pages: [{ id: 'page1', name: 'Page 1', components: [] }] }));
    renderEditor();
    const user = userEvent.setup();
    await screen.findByRole('navigation', { name: 'Pages' });
    await user.click(within(pageBar()).getByRole('button', { name: 'Add page' }));
    expect(tab('Page 2')).toHaveAttribute('aria-current', 'page');
    await user.click(screen.getByRole('button', { name: 'Undo' }));
    expect(within(pageBar()).queryByRole('button', { name: 'Page 2' })).toBeNull();
    expect(tab('Page 1')).toHaveAttribute('aria-current', 'page');
    await user.click(screen.getByRole('button', { name: 'Redo' }));
    expect(tab('Page 2')).toHaveAttribute('aria-current', 'page');
  });

  it('a history input event aimed at an unfocused editor is stopped before it', async () => {
    fakeApi(appWith({ pages: [{ id: 'page1', name: 'Page 1', components: [] }] }));
    renderEditor();
    await screen.findByRole('navigation', { name: 'Pages' });
    const other = document.createElement('div');
    other.contentEditable = 'true';
    other.tabIndex = 0;
    document.body.append(other);
    const seen: string[] = [];
    other.addEventListener('beforeinput', (e) => seen.push(e.inputType));
    const fire = () => {
      const e = new InputEvent('beforeinput', {
        inputType: 'historyUndo',
        bubbles: true,
        cancelable: true,
      });
      other.dispatchEvent(e);
      return e.defaultPrevented;
    };
    screen.getByRole('button', { name: 'Undo' }).focus();
    expect(fire()).toBe(true);
    expect(seen).toEqual([]);
    other.focus();
    expect(fire()).toBe(false);
    expect(seen).toEqual(['historyUndo']);
    other.remove();
  });
});

describe('AppEditorPage: versions', () => {
  it('sends If-Match, shows the 409 dialog, and "Keep mine" re-sends with the current version', async () => {
    const app = appWith({ pages: [{ id: 'page1', name: 'Page 1', components: [] }] });
    fakeApi(app);
    const sent: (string | undefined)[] = [];
    let conflictOnce = true;
    const base = vi.mocked(fetch).getMockImplementation()!;
    vi.mocked(fetch).mockImplementation((url, init = {}) => {
      if (url === `/api/workspaces/${WID}/apps/${APP}` && init.method === 'PATCH') {
        const ifMatch = (init.headers as Record<string, string>)['if-match'];
        sent.push(ifMatch);
        if (conflictOnce) {
          conflictOnce = false;
          return Promise.resolve(
            json(409, {
              statusCode: 409,
              error: 'Conflict',
              message: 'This app was changed elsewhere',
              correlationId: 'c',
              currentVersion: 5,
            }),
          );
        }
        const body = JSON.parse(init.body as string) as object;
        return Promise.resolve(json(200, { ...app, ...body, version: 6 }));
      }
      return base(url, init);
    });
    renderEditor();
    const user = userEvent.setup();
    await screen.findByRole('navigation', { name: 'Pages' });
    await user.click(screen.getByRole('button', { name: 'Add Text input' }));
    const dialog = await screen.findByRole(
      'dialog',
      { name: 'This app was changed elsewhere' },
      {
        timeout: 5_000,
      },
    );
    expect(sent).toEqual(['"1"']);
    expect(screen.getByTestId('save-status')).toHaveTextContent('Not saved');
    await user.click(within(dialog).getByRole('button', { name: 'Keep mine' }));
    await vi.waitFor(() => expect(sent).toEqual(['"1"', '"5"']), { timeout: 5_000 });
    await vi.waitFor(() =>
      expect(screen.getByTestId('save-status')).toHaveTextContent('All changes saved'),
    );
  });
});
