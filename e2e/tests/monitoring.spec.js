// Proactive incidents, staff, monitoring and customer side by side: staff issue
// an integration token on the Monitoring page; the provider's monitoring (here a
// PagerDuty-shaped event over HTTP, as any sender would post it) reports one of
// the customer's services down; the customer finds the incident on the home
// panel and the Support page, opens it and reads what monitoring saw.
const { test, expect } = require('@playwright/test');
const { logIn, staffLogIn, shot } = require('./helpers');

test('monitoring fires and the customer sees the incident case with its first message', async ({ page, browser, request }) => {
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });

  // The customer's last service (the demo's first ones have incidents already).
  await logIn(page, 'admin@acme.example');
  await page.goto('/portal/services');
  const href = await page.locator('tbody a[href^="/portal/services/SVC-"]').last().getAttribute('href');
  const serviceId = href.split('/').pop();

  const staffContext = await browser.newContext();
  const staff = await staffContext.newPage();
  staff.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await staffLogIn(staff);
  await staff.getByRole('link', { name: 'Monitoring' }).click();
  await expect(staff.getByRole('heading', { level: 1 })).toHaveText('Monitoring');
  await staff.getByLabel('Name').fill('E2E monitoring');
  await staff.getByRole('button', { name: 'Issue a token' }).click();
  const token = (await staff.locator('#integration-token').textContent()).trim();
  expect(token).toMatch(/^opi_/);
  await shot(staff, '50-staff-monitoring');

  const sent = await request.post('/ops/v1/alerts/events', {
    headers: { Authorization: `Bearer ${token}` },
    data: {
      event_action: 'trigger',
      dedup_key: 'e2e-link-down',
      payload: {
        summary: 'E2E access link down',
        source: 'e2e-probe',
        severity: 'critical',
        class: 'down',
        custom_details: { service_id: serviceId },
      },
    },
  });
  expect(sent.status()).toBe(202);

  // The home panel: the service is down and the incident is open.
  await expect(async () => {
    await page.goto('/portal/');
    const now = page.locator('section', { has: page.getByRole('heading', { name: 'Your network now' }) });
    await expect(now).toContainText(serviceId, { timeout: 1000 });
    await expect(now).toContainText('Detected by monitoring', { timeout: 1000 });
  }).toPass({ timeout: 15000 });
  await shot(page, '51-home-network-now');

  // The Support page lists it; the case opens with monitoring's first message.
  await page.goto('/portal/support');
  const row = page.locator('tbody tr', { hasText: serviceId }).filter({ hasText: 'Detected by monitoring' });
  await expect(row).toHaveCount(1);
  await row.getByRole('link').first().click();
  await expect(page.locator('main')).toContainText('E2E access link down');
  await expect(page.locator('main')).toContainText('Our monitoring detected a problem');
  await shot(page, '52-proactive-case');

  // Staff see the alert with its case.
  await staff.goto('/staff/monitoring?show=open');
  await expect(staff.locator('main')).toContainText('E2E access link down');

  await staffContext.close();
  expect(errors).toEqual([]);
});
