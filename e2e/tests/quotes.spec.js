// From a quote to a delivered service: the customer reads the demo's quote
// (revised once, so in version 2), accepts it with their password, which
// places the order; staff record the first line's milestones on their order
// page; the customer follows the timeline and finds the new service RFS in
// Sites & Services.
const { test, expect } = require('@playwright/test');
const { logIn, staffLogIn, shot, PASSWORD } = require('./helpers');

test('a customer accepts a quote, follows its order as staff move it, and sees the new service appear', async ({ page, browser }) => {
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await logIn(page, 'admin@acme.example');

  await page.locator('header').getByRole('link', { name: 'Orders', exact: true }).click();
  await page.getByRole('link', { name: 'Quotes', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Quotes');
  const waiting = page.locator('section', { has: page.getByRole('heading', { name: 'Waiting for your answer' }) });
  await expect(waiting).toContainText('version 2');
  await waiting.getByRole('link', { name: 'Q-2026-0311' }).click();
  await expect(page.locator('#quote-status')).toHaveText('Sent');
  await expect(page.locator('main')).toContainText('940.00 EUR');
  await shot(page, '57-quote');

  // A wrong password accepts nothing; the right one places the order.
  await page.getByLabel('Your purchase-order reference (optional)').fill('PO-ACME-5002');
  await page.getByLabel('I accept this quote on behalf of my organization.').check();
  await page.getByLabel('Your password').fill('not the password');
  await page.getByRole('button', { name: 'Accept and place the order' }).click();
  await expect(page.locator('#action-error')).toContainText('not your password');
  await expect(page.locator('#quote-status')).toHaveText('Sent');
  // What was typed stays; only the password is asked again.
  await expect(page.getByLabel('Your purchase-order reference (optional)')).toHaveValue('PO-ACME-5002');
  await page.getByLabel('I accept this quote on behalf of my organization.').check();
  await page.getByLabel('Your password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Accept and place the order' }).click();
  await expect(page.locator('#quote-status')).toHaveText('Accepted');
  await expect(page.locator('#quote-answer')).toContainText('by admin@acme.example');
  await expect(page.locator('#quote-answer')).toContainText('version 2');
  const orderId = (await page.locator('#quote-order').textContent()).trim();
  expect(orderId).toMatch(/^ORD-\d+$/);
  await shot(page, '58-quote-accepted');

  // Staff move the first line to ready for service, milestone by milestone.
  const staffContext = await browser.newContext();
  const staff = await staffContext.newPage();
  staff.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await staffLogIn(staff);
  await staff.getByRole('link', { name: 'Orders', exact: true }).click();
  await staff.getByRole('link', { name: 'Q-2026-0311' }).click();
  await expect(staff.getByRole('heading', { level: 1 })).toHaveText('Order Q-2026-0311');
  const line = staff.locator('section', { has: staff.getByRole('heading', { name: /Dedicated Internet Access 500 Mbit\/s/ }) });
  for (const milestone of ['Site survey', 'Supplier ordered', 'Installation scheduled', 'Installed', 'Tested', 'Ready for service']) {
    await line.getByRole('button', { name: `Record ${milestone}` }).click();
    await expect(line.locator('.timeline-done').last()).toContainText(milestone);
  }
  await shot(staff, '59-staff-order-ready');

  // The customer follows the timeline and finds the service in Sites & Services.
  await page.getByRole('link', { name: orderId }).click();
  await expect(page.locator('#order-status')).toHaveText('InDelivery');
  await expect(page.locator('main')).toContainText('PO-ACME-5002');
  const delivered = page.locator('section', { has: page.getByRole('heading', { name: /Dedicated Internet Access 500 Mbit\/s/ }) });
  await expect(delivered.locator('[data-milestone="ReadyForService"]')).toContainText('reached');
  await delivered.getByRole('link', { name: /Dedicated Internet Access 500 Mbit\/s/ }).click();
  await expect(page.locator('main')).toContainText('RFS');
  await page.goto('/portal/services?status=RFS');
  await expect(page.locator('main')).toContainText('Dedicated Internet Access 500 Mbit/s');
  await shot(page, '60-new-service-rfs');

  // The wrong password's page is answered 422, which the browser logs; nothing else may fail.
  const unexpected = errors.filter((e) => !e.includes('status of 422'));
  expect(errors.length - unexpected.length).toBe(1);
  expect(unexpected).toEqual([]);
  await staffContext.close();
});
