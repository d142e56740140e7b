import { expect, test } from '@playwright/test';
import { ensureAdmin } from '../support/accounts';

test('the served app renders the server health', async ({ page, request }) => {
  // Before setup, `/` leads to the setup page (first-start.spec.ts); this checks the home page.
  await ensureAdmin(request);
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Bastion' })).toBeVisible();
  const status = page.getByTestId('health-status');
  await expect(status).toBeVisible();
  await expect(status).toContainText('database ok');
});

test('client-side routes are served by the API and unknown API paths stay JSON', async ({
  page,
  request,
}) => {
  await page.goto('/sign-in');
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  const res = await request.get('/api/does-not-exist');
  expect(res.status()).toBe(404);
  expect((await res.json()).correlationId).toBeTruthy();
});
