import { expect, type Page, test } from '@playwright/test';
import { randomEmail, randomPassword, seedMember } from '../support/accounts';

async function signIn(page: Page, email: string, password: string) {
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test('an admin invites on the Members page; the invitee sets a password from the link and joins with the role', async ({
  page,
  request,
  browser,
}) => {
  const admin = await seedMember(request, 'admin');
  const wid = admin.workspaceId;
  const invitee = { email: randomEmail('invitee'), password: randomPassword() };

  // The admin invites a viewer; the link is shown once, with a copy button.
  await signIn(page, admin.email, admin.password);
  await expect(page).toHaveURL(new RegExp(`/w/${wid}$`));
  await page.getByRole('link', { name: 'Members', exact: true }).click();
  const form = page.getByRole('form', { name: 'Invite a member' });
  await expect(form.locator('input[type="password"]')).toHaveCount(0);
  await form.getByLabel('Email').fill(invitee.email);
  await form.getByLabel('Role').selectOption('viewer');
  await form.getByRole('button', { name: 'Create invitation link' }).click();
  const linkField = page.getByLabel('Invitation link');
  await expect(linkField).toHaveValue(/\/invite\/[A-Za-z0-9_-]{43}$/);
  await expect(page.getByRole('button', { name: 'Copy link' })).toBeVisible();
  const link = await linkField.inputValue();
  expect(new URL(link).origin).toBe(new URL(page.url()).origin);
  const pending = page.getByRole('region', { name: 'Pending invitations' });
  await expect(pending).toContainText(invitee.email);
  await expect(pending).not.toContainText('/invite/');
  // Not a member before accepting.
  await expect(page.getByRole('table').first()).not.toContainText(invitee.email);

  // The invitee opens the link in a fresh browser, sets a password, lands in the workspace.
  const inviteeContext = await browser.newContext();
  const ipage = await inviteeContext.newPage();
  await ipage.goto(link);
  await expect(ipage.getByRole('heading', { name: `Join ${admin.workspaceName}` })).toBeVisible();
  await expect(ipage.getByText(/as viewer/)).toBeVisible();
  await ipage.getByLabel('Password', { exact: true }).fill(invitee.password);
  await ipage.getByLabel('Confirm password').fill(invitee.password);
  await ipage.getByRole('button', { name: 'Create account and join' }).click();
  await expect(ipage).toHaveURL(new RegExp(`/w/${wid}/apps$`));
  await expect(ipage.getByRole('combobox', { name: 'Workspace' })).toHaveValue(wid);
  await expect(ipage.getByText(invitee.email)).toBeVisible();

  // The role shows in what they can see and do: a viewer has no datasources, no members, no
  // way to create an app, and the members page refuses them.
  const nav = ipage.getByRole('navigation', { name: 'Main' });
  await expect(nav.getByRole('link', { name: 'Apps' })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Datasources' })).toHaveCount(0);
  await expect(nav.getByRole('link', { name: 'Members' })).toHaveCount(0);
  await expect(ipage.getByRole('heading', { name: 'Apps' })).toBeVisible();
  await expect(ipage.getByRole('form', { name: 'New app' })).toHaveCount(0);
  await expect(ipage.getByRole('option', { name: `${admin.workspaceName} (viewer)` })).toHaveCount(
    1,
  );
  await ipage.goto(`/w/${wid}/members`);
  await expect(ipage.getByText('Only admins of this workspace manage its members.')).toBeVisible();

  // The link worked once.
  await ipage.goto(link);
  await expect(ipage.getByRole('alert')).toContainText('already used');
  await inviteeContext.close();

  // The admin now sees them as a viewer member, and no longer as pending.
  await page.reload();
  const members = page.getByRole('table').first();
  await expect(members).toContainText(invitee.email);
  await expect(page.getByRole('combobox', { name: `Role of ${invitee.email}` })).toHaveValue(
    'viewer',
  );
  await expect(page.getByRole('region', { name: 'Pending invitations' })).not.toContainText(
    invitee.email,
  );
});
