import { expect, type Page, type Response, test } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { inviteMember, randomPassword, randomEmail, seedMember } from '../support/accounts';
import { type E2ePostgres, startPostgres } from '../support/postgres-server';

// The datasource password: a canary that must never appear in any response (field report F1).
const DB_PASSWORD = `Canary-PW-${Date.now().toString(36)}-7f3e`;
const ARTIFACTS = join(__dirname, '../artifacts');

let pg: E2ePostgres;

test.beforeAll(async () => {
  pg = await startPostgres(DB_PASSWORD);
  pg.sql(
    `CREATE TABLE people (name text NOT NULL, city text NOT NULL);
     INSERT INTO people VALUES ('Ada', 'London'), ('Ada', 'Paris'), ('Linus', 'Helsinki'),
       ('Grace', 'Arlington'), ('x'' OR ''1''=''1', 'Nowhere');`,
  );
});

test.afterAll(() => pg?.stop());

/** Records the body of every response the page receives, for the canary scan. */
function recordResponses(page: Page, bodies: { url: string; body: string }[]) {
  page.on('response', (res: Response) => {
    void res
      .body()
      .then((b) => bodies.push({ url: res.url(), body: b.toString('utf8') }))
      .catch(() => undefined); // redirects and aborted requests have no body
  });
}

async function signIn(page: Page, email: string, password: string, next?: string) {
  await page.goto(next ? `/sign-in?next=${encodeURIComponent(next)}` : '/sign-in');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test('build an app on a PostgreSQL datasource, publish it, and run it as a viewer', async ({
  browser,
  request,
}) => {
  test.setTimeout(120_000);
  mkdirSync(ARTIFACTS, { recursive: true });
  const admin = await seedMember(request, 'admin');
  const wid = admin.workspaceId;
  const bodies: { url: string; body: string }[] = [];

  const adminContext = await browser.newContext();
  const page = await adminContext.newPage();
  recordResponses(page, bodies);
  await signIn(page, admin.email, admin.password);
  await expect(page).toHaveURL(new RegExp(`/w/${wid}`));

  // --- Datasource: create from the generated form -------------------------------------------
  await page.goto(`/w/${wid}/datasources/new`);
  await expect(page.getByText('Allow these addresses in your database firewall')).toBeVisible();
  await expect(page.getByText('203.0.113.7')).toBeVisible();
  await page.getByLabel('Type').selectOption('postgres');
  await page.getByRole('textbox', { name: 'Name', exact: true }).fill('People DB');
  await page.getByRole('textbox', { name: /Host/ }).fill(pg.host);
  await page.getByRole('spinbutton', { name: /Port/ }).fill(String(pg.port));
  await page.getByRole('textbox', { name: /Database/ }).fill('postgres');
  await page.getByRole('textbox', { name: /User name/ }).fill(pg.user);
  await page.getByLabel('TLS').selectOption('disable');
  await page.getByLabel('Password', { exact: true }).fill(DB_PASSWORD);
  await page.getByRole('button', { name: 'Test connection' }).click();
  await expect(page.getByTestId('test-result')).toContainText('Connected');
  await page.getByRole('button', { name: 'Create datasource' }).click();

  // After save: the stored password is a disabled, empty field "Encrypted on the server side".
  await expect(page).toHaveURL(new RegExp(`/w/${wid}/datasources/[0-9a-f-]{36}$`));
  const storedPassword = page.getByLabel('Password', { exact: true });
  await expect(storedPassword).toBeDisabled();
  await expect(storedPassword).toHaveAttribute('placeholder', 'Encrypted on the server side');
  await expect(storedPassword).toHaveValue('');
  await expect(page.getByRole('button', { name: 'Replace Password' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Clear Password' })).toBeVisible();
  // ... and after a reload; the stored password still connects.
  await page.reload();
  await expect(page.getByLabel('Password', { exact: true })).toHaveAttribute(
    'placeholder',
    'Encrypted on the server side',
  );
  await page.getByRole('button', { name: 'Test connection' }).click();
  await expect(page.getByTestId('test-result')).toContainText('Connected');
  expect(await page.content()).not.toContain(DB_PASSWORD);
  // Saving the form unchanged keeps the password (nothing is sent for it).
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.getByText('Datasource saved')).toBeVisible();
  await page.getByRole('button', { name: 'Test connection' }).click();
  await expect(page.getByTestId('test-result')).toContainText('Connected');

  // --- App: input, button, query, table -----------------------------------------------------
  await page.goto(`/w/${wid}/apps`);
  await page.getByLabel('New app name').fill('People finder');
  await page.getByRole('button', { name: 'Create app' }).click();
  await expect(page).toHaveURL(/\/apps\/[0-9a-f-]{36}\/edit$/);
  const appId = /apps\/([0-9a-f-]{36})\/edit/.exec(page.url())![1];

  await page.getByRole('button', { name: 'New query' }).click();
  await expect(page.getByRole('button', { name: 'query1' })).toBeVisible();
  const editor = page.locator('.sql-editor .cm-content');
  await editor.click();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.insertText(
    'SELECT name, city FROM people WHERE name = {{ input1.value }} ORDER BY city',
  );

  const props = page.getByRole('complementary', { name: 'Properties' });
  await page.getByRole('button', { name: 'Add Text input' }).click();
  await props.getByLabel('Label', { exact: true }).fill('Name');
  await page.getByRole('button', { name: 'Add Button' }).click();
  await props.getByLabel('Label', { exact: true }).fill('Find');
  await props.getByLabel('On click, run').selectOption({ label: 'query1' });
  await page.getByRole('button', { name: 'Add Table' }).click();
  await expect(props.getByLabel('Data', { exact: true })).toHaveValue('{{ query1.data }}');

  // The parameter is bound to the input; the query runs (Ctrl+Enter) with the current value.
  await expect(page.locator('.params-table')).toContainText('{{ input1.value }}');
  await page.locator('.canvas').getByLabel('Name').fill('Linus');
  await editor.click();
  await page.keyboard.press('ControlOrMeta+Enter');
  await expect(page.locator('.result-meta')).toContainText('1 row');
  await expect(page.locator('.query-result')).toContainText('Helsinki');
  await expect(page.getByTestId('save-status')).toHaveText('All changes saved', {
    timeout: 10_000,
  });
  // The keyboard help lists the shortcuts.
  await page.locator('.canvas').click({ position: { x: 600, y: 400 } });
  await page.keyboard.press('?');
  const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(help).toContainText('Run the selected query');
  await page.keyboard.press('Escape');
  await expect(help).toBeHidden();
  await page.getByRole('button', { name: 'Publish' }).click();
  await expect(page.getByText('Published: viewers now see this version')).toBeVisible();
  await page.screenshot({ path: join(ARTIFACTS, 'editor.png'), fullPage: true });

  // --- A viewer opens the published app ------------------------------------------------------
  const viewer = { email: randomEmail('viewer'), password: randomPassword() };
  const adminApi = adminContext.request;
  const me = (await (await adminApi.get('/api/me')).json()) as { csrfToken: string };
  await inviteMember(adminApi, me.csrfToken, wid, viewer, 'viewer');

  const viewerContext = await browser.newContext();
  const vpage = await viewerContext.newPage();
  recordResponses(vpage, bodies);
  const viewUrl = `/view/${wid}/${appId}`;
  await signIn(vpage, viewer.email, viewer.password, viewUrl);
  await expect(vpage).toHaveURL(new RegExp(`${viewUrl}$`));
  await expect(vpage.getByRole('heading', { name: 'People finder' })).toBeVisible();
  // No editor chrome and no query text in the viewer.
  await expect(vpage.getByRole('button', { name: 'Publish' })).toHaveCount(0);
  await expect(vpage.locator('.cm-editor')).toHaveCount(0);
  await vpage.getByLabel('Name').fill('Ada');
  await vpage.getByRole('button', { name: 'Find' }).click();
  const rows = vpage.getByRole('table', { name: 'table1' }).getByRole('row');
  await expect(rows).toHaveCount(3); // header + the two Ada rows
  await expect(rows.nth(1)).toContainText('AdaLondon');
  await expect(rows.nth(2)).toContainText('AdaParis');
  await expect(vpage.getByRole('table', { name: 'table1' })).not.toContainText('Helsinki');
  // A value that looks like SQL is only a value: it matches the one row holding that text.
  await vpage.getByLabel('Name').fill("x' OR '1'='1");
  await vpage.getByRole('button', { name: 'Find' }).click();
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(1)).toContainText('Nowhere');
  await vpage.getByLabel('Name').fill('Ada');
  await vpage.getByRole('button', { name: 'Find' }).click();
  await expect(rows).toHaveCount(3);
  await vpage.screenshot({ path: join(ARTIFACTS, 'viewer.png'), fullPage: true });

  // The published app handed to the viewer carries no query text.
  const published = bodies.find((b) => b.url.endsWith(`/apps/${appId}/published`));
  expect(published?.body).toBeDefined();
  expect(published!.body).not.toContain('SELECT');

  // --- A big result: truncated at the query's row limit, virtualized, sortable ---------------
  await page.getByRole('button', { name: 'New query' }).click();
  await expect(page.getByRole('button', { name: 'query2' })).toBeVisible();
  await editor.click();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.insertText('SELECT g AS n FROM generate_series(1, 5000) g');
  await page.getByLabel('Max rows').fill('3000');
  await editor.click();
  await page.keyboard.press('ControlOrMeta+Enter');
  await expect(page.locator('.result-meta')).toContainText('3000 rows');
  await expect(page.locator('.result-meta')).toContainText('Truncated');
  const grid = page.getByRole('table', { name: 'query2 result' });
  await expect(grid).toContainText('int4');
  expect(await grid.getByRole('row').count()).toBeLessThan(60); // not 3000 DOM rows
  await grid.getByRole('button', { name: 'n', exact: true }).click();
  await grid.getByRole('button', { name: /^n/ }).click();
  await expect(grid.getByRole('columnheader', { name: /^n/ })).toHaveAttribute(
    'aria-sort',
    'descending',
  );
  await expect(grid.getByRole('row').nth(1)).toHaveText('3,000'); // en-US grouping

  // --- F1: the password appears in no response body, in either browser -----------------------
  await vpage.waitForLoadState('networkidle');
  await page.waitForLoadState('networkidle');
  expect(bodies.length).toBeGreaterThan(20);
  const leaks = bodies.filter((b) => b.body.includes(DB_PASSWORD)).map((b) => b.url);
  expect(leaks).toEqual([]);

  await viewerContext.close();
  await adminContext.close();
});
