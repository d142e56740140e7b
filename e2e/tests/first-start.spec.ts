import { expect, test } from '@playwright/test';
import { randomEmail, randomPassword } from '../support/accounts';
import { type FreshServer, startFreshServer } from '../support/fresh-server';

let server: FreshServer;

test.beforeAll(async () => {
  server = await startFreshServer();
});

test.afterAll(async () => {
  await server?.stop();
});

test('a fresh instance: / leads to first-run setup; afterwards / lists the workspace', async ({
  page,
}) => {
  await page.goto(`${server.url}/`);
  await expect(page).toHaveURL(`${server.url}/setup`);
  await expect(page.getByRole('heading', { name: 'Set up Bastion' })).toBeVisible();

  await page.getByLabel('Your email').fill(randomEmail('first'));
  await page.getByLabel('Password', { exact: true }).fill(randomPassword());
  await page.getByLabel('Workspace name').fill('First Team');
  await page.getByRole('button', { name: 'Create admin and workspace' }).click();
  await expect(page.getByRole('heading', { name: 'First Team' })).toBeVisible();

  // Signed in: the home page offers the workspace, not "Sign in to start".
  await page.getByRole('link', { name: 'Bastion', exact: true }).click();
  await expect(page).toHaveURL(`${server.url}/`);
  const workspaces = page.getByRole('navigation', { name: 'Your workspaces' });
  await expect(workspaces.getByRole('link', { name: 'First Team' })).toBeVisible();
  await expect(page.getByText('Sign in to start')).toHaveCount(0);
});
