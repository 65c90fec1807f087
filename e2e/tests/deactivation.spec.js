// Deactivating a service, as the provider's help article describes it: the
// customer requests it from the service page with the Local Point of Contact;
// staff state the terms on their page; the customer reads them and confirms
// with their password; the request shows who confirmed and when the billing
// end date is due.
const { test, expect } = require('@playwright/test');
const { logIn, staffLogIn, shot, PASSWORD } = require('./helpers');

/** `YYYY-MM-DD`, `days` from today (UTC), as a date field takes it. */
function day(days) {
  return new Date(Date.now() + days * 86400000).toISOString().slice(0, 10);
}

test('a customer requests a deactivation, staff state the terms, the customer confirms with their password', async ({ page, browser }) => {
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await logIn(page, 'admin@acme.example');

  // The first service that may be asked to end (delivered, no request under way).
  await page.goto('/portal/services');
  const hrefs = await page.locator('tbody a[href^="/portal/services/SVC-"]').evaluateAll(
    (links) => links.map((a) => a.getAttribute('href')));
  let serviceId = null;
  for (const href of hrefs) {
    await page.goto(href);
    if (await page.getByRole('link', { name: 'Request deactivation' }).count() > 0) {
      serviceId = href.split('/').pop();
      break;
    }
  }
  expect(serviceId).toMatch(/^SVC-\d+$/);
  await page.getByRole('link', { name: 'Request deactivation' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Request deactivation of');
  await page.getByLabel('Requested end date').fill(day(60));
  await page.getByLabel('Why should the service end?').fill('The office closes at the end of the quarter.');
  await page.getByLabel('Name').fill('Lena Site');
  await page.getByLabel('E-mail').fill('lena@acme.example');
  await page.getByLabel('Phone').fill('+31 20 555 0199');
  await page.getByRole('button', { name: 'Send request' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Deactivation of');
  await expect(page.locator('#request-status')).toHaveText('Submitted');
  const requestId = page.url().split('/').pop();
  expect(requestId).toMatch(/^DRQ-\d+$/);
  await shot(page, '50-deactivation-submitted');

  // Staff find it in their queue and state the terms.
  const staffContext = await browser.newContext();
  const staff = await staffContext.newPage();
  staff.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await staffLogIn(staff);
  await staff.getByRole('link', { name: 'Deactivations' }).click();
  await expect(staff.getByRole('heading', { level: 1 })).toHaveText('Deactivation requests');
  await staff.getByRole('link', { name: requestId }).click();
  await staff.getByLabel('Earliest end date').fill(day(75));
  await staff.getByLabel('Deactivation fee (leave empty for none)').fill('250.00');
  await staff.getByLabel('Note for the customer').fill('Early termination under clause 9.');
  await staff.getByRole('button', { name: 'Send terms for confirmation' }).click();
  await expect(staff.locator('#request-status')).toHaveText('PendingConfirmation');
  await shot(staff, '51-staff-deactivation-terms');

  // The customer reads the terms and confirms; a wrong password confirms nothing.
  await page.goto('/portal/deactivation-requests');
  const underWay = page.locator('section', { has: page.getByRole('heading', { name: 'Under way' }) });
  await expect(underWay).toContainText(requestId);
  await expect(underWay).toContainText('Your confirmation is needed');
  await page.getByRole('link', { name: requestId }).click();
  await expect(page.locator('#terms')).toContainText('250.00 EUR');
  await page.getByLabel('I understand that confirming is binding and irreversible.').check();
  await page.getByLabel('Your password').fill('not the password');
  await page.getByRole('button', { name: 'Confirm deactivation' }).click();
  await expect(page.locator('#action-error')).toContainText('not your password');
  await expect(page.locator('#request-status')).toHaveText('PendingConfirmation');
  await page.getByLabel('I understand that confirming is binding and irreversible.').check();
  await page.getByLabel('Your password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Confirm deactivation' }).click();
  await expect(page.locator('#request-status')).toHaveText('Confirmed');
  await expect(page.locator('main')).toContainText('by admin@acme.example');
  await expect(page.locator('main')).toContainText('5 business days after your confirmation');
  await shot(page, '52-deactivation-confirmed');

  // Staff see it among the confirmed, with the day the billing end date is due.
  await staff.goto('/staff/deactivations');
  await expect(staff.locator('#queue-confirmed')).toContainText(requestId);
  await expect(staff.locator('#queue-confirmed')).toContainText('due by');

  await staffContext.close();
  // The wrong password's page is answered 422, which the browser logs; nothing else may fail.
  const unexpected = errors.filter((e) => !e.includes('status of 422'));
  expect(errors.length - unexpected.length).toBe(1);
  expect(unexpected).toEqual([]);
});
