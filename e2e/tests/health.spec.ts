import { expect, test } from '@playwright/test';

test('the served app renders the server health', async ({ page }) => {
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
