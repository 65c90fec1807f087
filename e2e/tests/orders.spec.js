// Orders in delivery, as the customer follows them: the demo's order is in
// delivery with a late milestone and a delay; its page shows each service's
// timeline, and each service is already in Sites & Services as InProgress.
// (quotes.spec.js follows a quote to an order and its new service.)
const { test, expect } = require('@playwright/test');
const { logIn, shot } = require('./helpers');

test('the customer follows an order in delivery: late milestones, the delay and its reason, the coming services', async ({ page }) => {
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await logIn(page, 'admin@acme.example');

  await page.locator('header').getByRole('link', { name: 'Orders', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Orders');
  const inDelivery = page.locator('section', { has: page.getByRole('heading', { name: 'In delivery' }) });
  await expect(inDelivery).toContainText('PO-ACME-4471');
  await expect(inDelivery).toContainText('Late');
  await shot(page, '55-orders');

  await inDelivery.getByRole('link', { name: 'SO-2026-0187' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Order SO-2026-0187');
  const backup = page.locator('section', { has: page.getByRole('heading', { name: /Internet Madrid backup/ }) });
  await expect(backup.locator('[data-milestone="SiteSurvey"]')).toContainText('reached');
  await expect(backup.locator('[data-milestone="SupplierOrdered"]')).toContainText('Late');
  await expect(backup).toContainText('The local loop supplier moved its installation date');
  await shot(page, '56-order-timeline');

  await backup.getByRole('link', { name: 'Internet Madrid backup' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Internet Madrid backup');
  await expect(page.locator('main')).toContainText('InProgress');

  expect(errors).toEqual([]);
});
