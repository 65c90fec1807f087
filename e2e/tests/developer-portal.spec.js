// The seed help article, step by step, and the Developer Portal's API clients.
const { test, expect } = require('@playwright/test');
const { logIn, shot } = require('./helpers');

test('seed article: log in, Developer Portal, API tab, authorize, POST /v2/api-clients creates a client', async ({ page }) => {
  // The CSP must not block anything the pages need, and no script may fail.
  const problems = [];
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push(msg.text()); });
  page.on('pageerror', (error) => problems.push(error.message));
  await logIn(page, 'developer@acme.example');
  await shot(page, '01-home-developer');

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Developer Portal' }).click();
  await expect(page.getByRole('heading', { name: 'API clients' })).toBeVisible();
  await page.getByRole('navigation', { name: 'Developer Portal' }).getByRole('link', { name: 'API', exact: true }).click();

  // The APIClients resource is listed.
  await expect(page.locator('#operations-tag-APIClients')).toBeVisible();
  await page.getByRole('button', { name: 'Authorize with my account' }).click();
  await expect(page.locator('#authorize-status')).toContainText('Authorized as you');

  const operation = page.locator('#operations-APIClients-create');
  await operation.locator('.opblock-summary').first().click();
  await operation.getByRole('button', { name: 'Try it out' }).click();
  await operation.locator('textarea.body-param__text').fill('{"apiClientName": "ScopeName1", "scopes": ["BasicRead"]}');
  await operation.getByRole('button', { name: 'Execute' }).click();

  const live = operation.locator('.live-responses-table .response');
  await expect(live.locator('.response-col_status').first()).toHaveText(/201/);
  const body = await live.locator('.response-col_description pre').first().innerText();
  const created = JSON.parse(body);
  expect(created.clientId).toBeTruthy();
  expect(created.clientSecret).toBeTruthy();
  expect(created.apiClientName).toBe('ScopeName1');
  expect(created.scopes).toEqual(['BasicRead']);
  await shot(page, '02-api-tab-created');

  // The client made in the API tab is on the API clients tab.
  await page.getByRole('navigation', { name: 'Developer Portal' }).getByRole('link', { name: 'API clients' }).click();
  await expect(page.getByRole('cell', { name: created.clientId })).toBeVisible();
  expect(problems).toEqual([]);
});

test('create a client in the form: the secret is shown once, gone on reload, works at the token endpoint; rotate, then revoke', async ({ page, request, baseURL }) => {
  await logIn(page, 'developer@acme.example');
  await page.goto('/portal/developer/clients/new');
  await shot(page, '03-new-client-form');
  // The developer holds Sites & Services and Developer Portal only: BasicRead is the one scope offered.
  await expect(page.getByRole('checkbox')).toHaveCount(1);
  await page.getByLabel('Name').fill('Monitoring (e2e)');
  await page.getByRole('checkbox', { name: /BasicRead/ }).check();
  await page.getByRole('button', { name: 'Create API client' }).click();

  await expect(page.getByRole('heading', { level: 1 })).toHaveText('API client created');
  const secret = await page.getByLabel('Client secret').inputValue();
  const clientId = (await page.locator('#client-id').innerText()).trim();
  expect(secret.length).toBeGreaterThan(40);
  expect(page.url()).not.toContain(secret);
  await expect(page.getByRole('button', { name: /Copy client secret/ })).toBeVisible();
  await shot(page, '04-secret-once');

  await page.reload();
  await expect(page.locator('#secret-gone')).toBeVisible();
  await expect(page.locator('body')).not.toContainText(secret);

  // The id and secret get a token, and the token reads /v2/me.
  const token = await request.post(`${baseURL}/oauth2/token`, {
    form: { grant_type: 'client_credentials', client_id: clientId, client_secret: secret },
  });
  expect(token.status()).toBe(200);
  const { access_token: access } = await token.json();
  const me = await request.get(`${baseURL}/v2/me`, { headers: { Authorization: `Bearer ${access}` } });
  expect(me.status()).toBe(200);

  // The list shows it; rotate and revoke go through their confirmation pages.
  await page.goto('/portal/developer/clients');
  await shot(page, '05-clients-list');
  const row = page.getByRole('row').filter({ hasText: clientId });
  await row.getByRole('link', { name: /Rotate secret/ }).click();
  await page.getByLabel('1 hour').check();
  await page.getByRole('button', { name: 'Rotate secret' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('New client secret');
  const rotated = await page.getByLabel('Client secret').inputValue();
  expect(rotated).not.toBe(secret);
  await page.goto('/portal/developer/clients');
  // Both secrets are listed by their last 4 characters; the old one with its deadline.
  await expect(page.getByRole('row').filter({ hasText: clientId })).toContainText(`…${rotated.slice(-4)}`);
  await expect(page.getByRole('row').filter({ hasText: clientId })).toContainText('works until');
  await page.getByRole('row').filter({ hasText: clientId }).getByRole('link', { name: /Revoke/ }).click();
  await page.getByLabel(/I understand/).check();
  await page.getByRole('button', { name: 'Revoke API client' }).click();
  await expect(page.getByRole('status')).toContainText('revoked');
  await expect(page.getByRole('row').filter({ hasText: clientId })).toContainText('Revoked');
});

test('the getting-started page carries this server\'s URLs', async ({ page, baseURL }) => {
  await logIn(page, 'developer@acme.example');
  await page.goto('/portal/developer/getting-started');
  await expect(page.locator('main')).toContainText(`${baseURL}/oauth2/token`);
  await shot(page, '06-getting-started');
});
