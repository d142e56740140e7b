import { expect, type Page, test } from '@playwright/test';
import { seedMember } from '../support/accounts';
import { totpCode } from '../support/totp';

const STEP_MS = 30_000;

async function signIn(page: Page, email: string, password: string) {
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test('enrol two-factor on the account page, then sign in with a code and with a recovery code', async ({
  page,
  request,
  browser,
}) => {
  const member = await seedMember(request, 'editor');

  // Plain sign-in, then enrolment on the account page.
  await signIn(page, member.email, member.password);
  await expect(page).toHaveURL(new RegExp(`/w/${member.workspaceId}$`));
  await expect(page.getByRole('heading', { name: member.workspaceName })).toBeVisible();
  await page.getByRole('link', { name: 'Account' }).click();
  const setUp = page.getByRole('form', { name: 'Set up two-factor' });
  await setUp.getByLabel('Password').fill(member.password);
  await setUp.getByRole('button', { name: 'Set up two-factor' }).click();
  await expect(page.getByRole('img', { name: /QR code/ })).toBeVisible();
  await page.getByText('Can’t scan? Enter this key instead').click();
  const secret = (await page.getByTestId('totp-secret').textContent())!.trim();
  expect(secret).toMatch(/^[A-Z2-7]{32}$/);
  await page.getByLabel('Code from the app').fill(totpCode(secret));
  await page.getByRole('button', { name: 'Turn on two-factor' }).click();
  const codes = page.getByTestId('recovery-codes').locator('code');
  await expect(codes).toHaveCount(10);
  const recovery = (await codes.nth(0).textContent())!;
  await page.getByRole('button', { name: 'I have saved them' }).click();
  await expect(page.getByText(/On\. 10 of 10 recovery codes left/)).toBeVisible();

  // Sign out, then sign in again: the password step leads to the code step.
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
  await expect(page).toHaveURL(/\/sign-in$/);
  await signIn(page, member.email, member.password);
  const codeInput = page.getByLabel('Authentication code');
  await expect(codeInput).toBeVisible();
  // A wrong code is refused with a reference the user can report.
  await codeInput.fill('000000');
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('alert')).toContainText('two-factor code is not valid');
  await expect(page.getByTestId('correlation-id')).not.toBeEmpty();
  // The code of the next step: the one used at enrolment cannot be replayed.
  await codeInput.fill(totpCode(secret, Date.now() + STEP_MS));
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page).toHaveURL(new RegExp(`/w/${member.workspaceId}$`));
  await expect(page.getByRole('combobox', { name: 'Workspace' })).toHaveValue(member.workspaceId);

  // A second browser context signs in with a recovery code, which then stops working.
  const other = await browser.newContext();
  const second = await other.newPage();
  await signIn(second, member.email, member.password);
  await second.getByLabel('Authentication code').fill(recovery);
  await second.getByRole('button', { name: 'Verify' }).click();
  await expect(second).toHaveURL(new RegExp(`/w/${member.workspaceId}$`));
  await other.close();
  const reused = await request.post('/api/auth/login', {
    data: { email: member.email, password: member.password, totpCode: recovery },
  });
  expect(reused.status()).toBe(401);
});

test('protected pages send a signed-out browser to sign-in and back', async ({ page, request }) => {
  const member = await seedMember(request, 'viewer');
  await page.goto(`/w/${member.workspaceId}/members`);
  await expect(page).toHaveURL(/\/sign-in\?next=/);
  await page.getByLabel('Email').fill(member.email);
  await page.getByLabel('Password').fill(member.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(new RegExp(`/w/${member.workspaceId}/members$`));
  await expect(page.getByText('Only admins of this workspace manage its members.')).toBeVisible();
});
