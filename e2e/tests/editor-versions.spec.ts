import { type APIRequestContext, type Browser, expect, type Page, test } from '@playwright/test';
import { seedMember } from '../support/accounts';

/**
 * Issue 16: no lost work. Two browser contexts editing one app (the second save gets the
 * "changed elsewhere" dialog; both choices work), reopening an app after navigating away
 * shows the server's current state (the former stale-cache bug), and history restore.
 */

const text = (id: string, value: string, y = 0) => ({
  id,
  type: 'text',
  layout: { x: 0, y, w: 4, h: 1 },
  props: { value },
});

interface AppBody {
  id: string;
  version: number;
  definition: { pages: { components: { id: string }[] }[] };
}

async function signIn(page: Page, email: string, password: string) {
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/w\//);
}

/** A signed-in page of its own browser context, and an API client sharing its session. */
async function editorPage(browser: Browser, user: { email: string; password: string }) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, user.email, user.password);
  const me = (await (await context.request.get('/api/me')).json()) as { csrfToken: string };
  return { context, page, api: context.request, csrf: me.csrfToken };
}

async function createApp(api: APIRequestContext, csrf: string, wid: string, name: string) {
  const res = await api.post(`/api/workspaces/${wid}/apps`, {
    data: {
      name,
      definition: { pages: [{ id: 'page1', name: 'Main', components: [text('text1', 'Hello')] }] },
    },
    headers: { 'x-csrf-token': csrf },
  });
  expect(res.status(), await res.text()).toBe(201);
  return (await res.json()) as AppBody;
}

async function readApp(api: APIRequestContext, wid: string, appId: string): Promise<AppBody> {
  const res = await api.get(`/api/workspaces/${wid}/apps/${appId}`);
  expect(res.status()).toBe(200);
  return (await res.json()) as AppBody;
}

const componentIds = (app: AppBody) => app.definition.pages[0].components.map((c) => c.id).sort();
const canvasIds = (page: Page) =>
  page
    .locator('.canvas [data-component]')
    .evaluateAll((els) => els.map((e) => e.getAttribute('data-component')).sort());
const saved = (page: Page) =>
  expect(page.getByTestId('save-status')).toHaveText('All changes saved', { timeout: 15_000 });

test('two contexts edit one app: the second save gets the dialog; keep mine and reload theirs both work', async ({
  browser,
  request,
}) => {
  test.setTimeout(120_000);
  const user = await seedMember(request, 'editor');
  const wid = user.workspaceId;
  const a = await editorPage(browser, user);
  const b = await editorPage(browser, user);
  const app = await createApp(a.api, a.csrf, wid, 'Shared app');
  const editUrl = `/w/${wid}/apps/${app.id}/edit`;
  await a.page.goto(editUrl);
  await b.page.goto(editUrl);
  await expect(a.page.locator('.canvas [data-component="text1"]')).toBeVisible();
  await expect(b.page.locator('.canvas [data-component="text1"]')).toBeVisible();

  // A saves first.
  await a.page.getByRole('button', { name: 'Add Text input' }).click();
  await saved(a.page);
  expect(componentIds(await readApp(a.api, wid, app.id))).toEqual(['input1', 'text1']);

  // B's save is stale: the dialog names it, nothing is overwritten silently.
  await b.page.getByRole('button', { name: 'Add Button' }).click();
  const dialogB = b.page.getByRole('dialog', { name: 'This app was changed elsewhere' });
  await expect(dialogB).toBeVisible({ timeout: 15_000 });
  await expect(b.page.getByTestId('save-status')).toHaveText('Not saved');
  expect(componentIds(await readApp(a.api, wid, app.id))).toEqual(['input1', 'text1']);

  // "Keep mine": B's version is saved over A's, as a new version.
  await dialogB.getByRole('button', { name: 'Keep mine' }).click();
  await expect(dialogB).toBeHidden();
  await saved(b.page);
  const afterB = await readApp(a.api, wid, app.id);
  expect(componentIds(afterB)).toEqual(['button1', 'text1']);

  // A edits again from its stale version: dialog; "Reload theirs" shows B's saved state.
  await a.page.getByRole('button', { name: 'Add Table' }).click();
  const dialogA = a.page.getByRole('dialog', { name: 'This app was changed elsewhere' });
  await expect(dialogA).toBeVisible({ timeout: 15_000 });
  await dialogA.getByRole('button', { name: 'Reload theirs' }).click();
  await expect(dialogA).toBeHidden();
  await expect.poll(() => canvasIds(a.page)).toEqual(['button1', 'text1']);
  await expect(a.page.getByTestId('save-status')).toHaveText('All changes saved');
  // A continues from the reloaded version: its next save is accepted.
  await a.page.getByRole('button', { name: 'Add Text input' }).click();
  await saved(a.page);
  await expect(dialogA).toBeHidden();
  expect(componentIds(await readApp(a.api, wid, app.id))).toEqual(['button1', 'input1', 'text1']);
  // Every saved state is in the history (A's first save too).
  const revisions = (await (
    await a.api.get(`/api/workspaces/${wid}/apps/${app.id}/revisions`)
  ).json()) as unknown[];
  expect(revisions.length).toBeGreaterThanOrEqual(1);
  await a.context.close();
  await b.context.close();
});

test("reopening an app after navigating away shows the server's current state", async ({
  browser,
  request,
}) => {
  test.setTimeout(90_000);
  const user = await seedMember(request, 'editor');
  const wid = user.workspaceId;
  const a = await editorPage(browser, user);
  const app = await createApp(a.api, a.csrf, wid, 'Reopened app');
  await a.page.goto(`/w/${wid}/apps`);
  await a.page.getByRole('link', { name: 'Reopened app' }).click();
  await expect.poll(() => canvasIds(a.page)).toEqual(['text1']);
  await expect(a.page.getByTestId('publish-status')).toHaveText('Not published yet');

  // Back to the list (same tab, client-side navigation); the app changes on the server.
  await a.page.getByRole('link', { name: 'Back to apps' }).click();
  await expect(a.page.getByRole('link', { name: 'Reopened app' })).toBeVisible();
  const current = await readApp(a.api, wid, app.id);
  const patched = await a.api.patch(`/api/workspaces/${wid}/apps/${app.id}`, {
    data: {
      definition: {
        pages: [
          {
            id: 'page1',
            name: 'Main',
            components: [
              text('text1', 'Hello'),
              text('text2', 'Two', 1),
              text('text3', 'Three', 2),
            ],
          },
        ],
      },
    },
    headers: { 'x-csrf-token': a.csrf, 'if-match': `"${current.version}"` },
  });
  expect(patched.status(), await patched.text()).toBe(200);
  const published = await a.api.post(`/api/workspaces/${wid}/apps/${app.id}/publish`, {
    data: {},
    headers: { 'x-csrf-token': a.csrf },
  });
  expect(published.status()).toBe(200);

  // Reopen: the editor shows the server's state, not the first open's snapshot.
  await a.page.getByRole('link', { name: 'Reopened app' }).click();
  await expect.poll(() => canvasIds(a.page)).toEqual(['text1', 'text2', 'text3']);
  await expect(a.page.getByTestId('publish-status')).toContainText('Published');
  // An edit saves on top of it (no stale draft written back, no conflict).
  await a.page.getByRole('button', { name: 'Add Button' }).click();
  await saved(a.page);
  expect(componentIds(await readApp(a.api, wid, app.id))).toEqual([
    'button1',
    'text1',
    'text2',
    'text3',
  ]);
  // The header says the draft differs from the published copy, and how.
  await expect(a.page.getByTestId('publish-status')).toContainText('Unpublished changes');
  await expect(a.page.getByTestId('publish-status')).toContainText('Components added: button1');
  await a.context.close();
});

test('history lists revisions and restores one as a new revision', async ({ browser, request }) => {
  test.setTimeout(90_000);
  const user = await seedMember(request, 'editor');
  const wid = user.workspaceId;
  const a = await editorPage(browser, user);
  const app = await createApp(a.api, a.csrf, wid, 'History app');
  // Publishing marks version 1; the next save starts version 2.
  const published = await a.api.post(`/api/workspaces/${wid}/apps/${app.id}/publish`, {
    data: {},
    headers: { 'x-csrf-token': a.csrf },
  });
  expect(published.status()).toBe(200);
  await a.page.goto(`/w/${wid}/apps/${app.id}/edit`);
  await a.page.getByRole('button', { name: 'Add Table' }).click();
  await saved(a.page);

  await a.page.getByRole('button', { name: 'History' }).click();
  const history = a.page.getByRole('dialog', { name: 'Version history' });
  const items = history.getByTestId('revision');
  await expect(items).toHaveCount(2);
  await expect(items.nth(0)).toContainText('Version 2');
  await expect(items.nth(0)).toContainText('Components added: table1');
  await expect(items.nth(0)).toContainText(user.email);
  await expect(items.nth(1)).toContainText('Published');

  // Restore asks first; then the editor shows the restored state.
  await history.getByRole('button', { name: 'Restore version 1' }).first().click();
  await expect(history.getByText('Restore version 1 from')).toBeVisible();
  await history.getByRole('button', { name: 'Restore version 1' }).click();
  await expect(a.page.getByText('Restored version 1')).toBeVisible();
  await expect.poll(() => canvasIds(a.page)).toEqual(['text1']);
  expect(componentIds(await readApp(a.api, wid, app.id))).toEqual(['text1']);

  await a.page.getByRole('button', { name: 'History' }).click();
  const again = a.page.getByRole('dialog', { name: 'Version history' }).getByTestId('revision');
  await expect(again).toHaveCount(3);
  await expect(again.nth(0)).toContainText('restored version 1');
  await expect(again.nth(0)).toContainText('Components removed: table1');
  // The draft equals the published copy again.
  await a.page.keyboard.press('Escape');
  await expect(a.page.getByTestId('publish-status')).toContainText('Published');
  await expect(a.page.getByTestId('publish-status')).not.toContainText('Unpublished');
  await a.context.close();
});
