// What a person without the Developer Portal permission sees, and forged requests.
const { test, expect } = require('@playwright/test');
const { logIn, shot } = require('./helpers');

test('the viewer sees Sites & Services but not the Developer Portal, and cannot open it by URL', async ({ page }) => {
  await logIn(page, 'viewer@acme.example');
  const nav = page.getByRole('navigation', { name: 'Main' });
  await expect(nav.getByRole('link', { name: 'Home' })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Developer Portal' })).toHaveCount(0);
  await shot(page, '07-home-viewer');
  // Sites & Services is theirs: a list, then a service's technical details.
  await nav.getByRole('link', { name: 'Sites & Services' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Sites & Services');
  await page.getByLabel('Status').selectOption('RFS');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page.locator('tbody tr').first()).toContainText('RFS');
  await shot(page, '10-services');
  await page.locator('tbody tr a').first().click();
  await expect(page.getByRole('heading', { name: 'Technical details' })).toBeVisible();
  await expect(page.locator('main')).toContainText('IP addresses');
  await shot(page, '11-service-detail');
  const response = await page.goto('/portal/developer/clients');
  expect(response.status()).toBe(403);
  await expect(page.locator('main')).toContainText('Developer Portal (API)');
});

test('a wrong password is refused with the generic message', async ({ page }) => {
  await page.goto('/portal/login');
  await page.getByLabel('Email address').fill('developer@acme.example');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('alert')).toContainText('email address or password is not correct');
  await shot(page, '08-login-failed');
});

test('a cross-site form POST is refused', async ({ page, request, baseURL }) => {
  await logIn(page, 'developer@acme.example');
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name.endsWith('op_session'));
  const response = await request.post(`${baseURL}/portal/developer/clients`, {
    headers: { Origin: 'https://attacker.example', Cookie: `${session.name}=${session.value}` },
    form: { apiClientName: 'Forged', scopes: 'BasicRead' },
    maxRedirects: 0,
  });
  expect(response.status()).toBe(403);
});

test('keyboard: the first Tab reaches the skip link, and pages fit a phone', async ({ page }) => {
  await logIn(page, 'developer@acme.example');
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
  await page.setViewportSize({ width: 375, height: 740 });
  await page.goto('/portal/developer/clients');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await shot(page, '09-phone-clients');
});

test('a script typed into a free-text field is shown as text and never runs', async ({ page }) => {
  const dialogs = [];
  page.on('dialog', async (dialog) => { dialogs.push(dialog.message()); await dialog.dismiss(); });
  await logIn(page, 'developer@acme.example');
  const payload = `<img src=x onerror="alert('xss')"><script>alert('xss')</script>`;
  await page.goto('/portal/developer/clients/new');
  await page.getByLabel('Name').fill(payload);
  await page.getByRole('checkbox', { name: /BasicRead/ }).check();
  await page.getByRole('button', { name: 'Create API client' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('API client created');
  await page.goto('/portal/developer/clients');
  await expect(page.locator('main')).toContainText(payload);
  await page.goto('/portal/services?q=' + encodeURIComponent(payload));
  await expect(page.getByLabel('Name or id')).toHaveValue(payload);
  expect(dialogs).toEqual([]);
});
