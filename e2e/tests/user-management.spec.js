// User Management: the admin adds a user in two steps, the new user opens the
// activation e-mail from the demo outbox, sets a password, logs in and sees
// only what their permissions allow.
const { test, expect } = require('@playwright/test');
const { logIn, shot } = require('./helpers');

test('add a user in two steps, activate from the demo outbox, log in with only the chosen permissions', async ({ page }) => {
  const email = `nora.${Date.now()}@acme.example`;
  const password = 'a long new password for nora';

  await logIn(page, 'admin@acme.example');
  const nav = page.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('link', { name: 'User Management' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('User Management');
  await expect(page.getByRole('link', { name: 'Delivery Account' })).toBeVisible();
  await shot(page, '20-users');
  // The users list fits a phone-width screen.
  await page.setViewportSize({ width: 375, height: 740 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await shot(page, '20-users-phone');
  await page.setViewportSize({ width: 1280, height: 800 });

  await page.getByRole('link', { name: 'Add user' }).click();
  await page.getByLabel('First name').fill('Nora');
  await page.getByLabel('Last name').fill('New');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Phone (optional)').fill('+49 30 1234567');
  await page.getByLabel('Country (optional)').fill('Germany');
  await shot(page, '21-add-user-step1');
  await page.getByRole('button', { name: 'Next: permissions' }).click();
  await expect(page.getByText('Step 2 of 2: permissions and account access')).toBeVisible();
  await page.getByLabel('Billing (View)').check();
  await shot(page, '22-add-user-step2');
  await page.getByRole('button', { name: 'Add user' }).click();
  await expect(page.getByRole('status')).toContainText('added as Inactive');
  const row = page.locator('tbody tr', { hasText: email });
  await expect(row).toContainText('Inactive');
  await expect(row).toContainText('Billing (View)');

  // Log out; the demo outbox is linked from the page header.
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('link', { name: 'Demo outbox' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Demo outbox');
  await shot(page, '23-demo-outbox');
  await page.getByRole('link', { name: `Activate your OnePortal user to ${email}` }).first().click();
  await page.locator('.mail-body a').first().click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Activate your user');
  await page.getByLabel('New password', { exact: true }).fill(password);
  await page.getByLabel('Repeat the new password').fill(password);
  await page.getByRole('button', { name: 'Set password' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Your user is active');

  await page.getByRole('link', { name: 'Go to the login page' }).click();
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Welcome');
  const newNav = page.getByRole('navigation', { name: 'Main' });
  await expect(newNav.getByRole('link', { name: 'Sites & Services' })).toBeVisible();
  await expect(newNav.getByRole('link', { name: 'User Management' })).toHaveCount(0);
  await expect(newNav.getByRole('link', { name: 'Developer Portal' })).toHaveCount(0);
  await shot(page, '24-home-new-user');
  const response = await page.goto('/portal/users');
  expect(response.status()).toBe(403);
});
