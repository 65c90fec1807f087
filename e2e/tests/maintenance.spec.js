// Planned maintenance, staff and customer side by side: staff announce a
// maintenance on one of the customer's services two days ahead; the customer
// finds it on Support → Maintenance (flagged short notice) and on the home
// page's "Maintenance this week", and opens it.
const { test, expect } = require('@playwright/test');
const { logIn, staffLogIn, shot } = require('./helpers');

/** `YYYY-MM-DDTHH:MM` in UTC, `days` from now, as a datetime-local field takes it. */
function utcInput(days) {
  return new Date(Date.now() + days * 86400000).toISOString().slice(0, 16);
}

test('staff announce a maintenance and the customer sees it on the Maintenance page and the home panel', async ({ page, browser }) => {
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });

  // The customer's first service, to name in the announcement.
  await logIn(page, 'admin@acme.example');
  await page.goto('/portal/services');
  const href = await page.locator('tbody a[href^="/portal/services/SVC-"]').first().getAttribute('href');
  const serviceId = href.split('/').pop();
  expect(serviceId).toMatch(/^SVC-\d+$/);

  const staffContext = await browser.newContext();
  const staff = await staffContext.newPage();
  staff.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await staffLogIn(staff);
  await staff.getByRole('link', { name: 'Maintenance' }).click();
  await expect(staff.getByRole('heading', { level: 1 })).toHaveText('Maintenance');
  await staff.getByLabel('Provider reference').fill('E2E-MNT-1');
  await staff.getByLabel('Title').fill('E2E fibre splice');
  await staff.getByLabel('What is done and why').fill('Splicing the fibre after a road project.');
  await staff.getByLabel('Start (UTC)').fill(utcInput(2));
  await staff.getByLabel('End (UTC)').fill(utcInput(2.2));
  await staff.getByLabel('Affected services, one per line').fill(`${serviceId} OUTAGE`);
  await staff.getByRole('button', { name: 'Announce' }).click();
  await expect(staff.getByRole('heading', { level: 1 })).toHaveText('E2E fibre splice');
  await expect(staff.locator('#maintenance-status')).toHaveText('CONFIRMED');
  await shot(staff, '40-staff-maintenance');

  // The customer: Support → Maintenance, upcoming and short notice.
  await page.goto('/portal/support');
  await page.getByRole('link', { name: 'Maintenance', exact: true }).click();
  const upcoming = page.locator('section', { has: page.getByRole('heading', { name: 'Upcoming' }) });
  await expect(upcoming).toContainText('E2E fibre splice');
  await expect(upcoming).toContainText('Short notice');
  await shot(page, '41-customer-maintenance');
  await page.getByRole('link', { name: 'E2E fibre splice' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('E2E fibre splice');
  await expect(page.locator('main')).toContainText(serviceId);
  await expect(page.locator('main')).toContainText('OUTAGE');

  // The home page's panel lists it among this week's maintenance.
  await page.goto('/portal/');
  const week = page.locator('section', { has: page.getByRole('heading', { name: 'Maintenance this week' }) });
  await expect(week).toContainText('E2E fibre splice');

  await staffContext.close();
  expect(errors).toEqual([]);
});
