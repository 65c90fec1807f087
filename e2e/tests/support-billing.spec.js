// Support and Billing as the demo admin: a new incident through the form (its
// subjects follow the type), a reply and a file on the case; the invoices'
// twelve-month chart and a PDF download.
const { test, expect } = require('@playwright/test');
const { logIn, shot } = require('./helpers');

test('open an incident through the form, reply, attach a file and see the thread', async ({ page }) => {
  await logIn(page, 'admin@acme.example');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Support' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Support');
  await expect(page.locator('svg.chart')).toHaveCount(2);
  await shot(page, '19-support');
  await page.getByRole('link', { name: 'New case' }).click();

  // The type comes first; its subjects replace the other type's.
  await page.getByLabel('Type of case').selectOption('NonIncident');
  await page.getByRole('button', { name: 'Continue' }).click();
  const subject = page.getByLabel('Subject');
  await expect(subject.locator('option[value="ChangeRequest"]')).toHaveCount(1);
  await expect(subject.locator('option[value="ServiceDown"]')).toHaveCount(0);
  await page.getByLabel('Type of case').selectOption('Incident');
  await page.getByRole('button', { name: 'Change type' }).click();
  await expect(subject.locator('option[value="ServiceDown"]')).toHaveCount(1);
  await expect(subject.locator('option[value="ChangeRequest"]')).toHaveCount(0);

  await subject.selectOption('ServiceDown');
  await page.getByLabel('Priority').selectOption('P2');
  await page.getByLabel('Service').selectOption({ index: 1 });
  await page.getByLabel('Start of incident (UTC)').fill('2026-11-26T08:15');
  await page.getByLabel('What happened, and what do you need?').fill('The e2e office lost its link at 08:15.');
  await page.getByLabel('Your reference (optional)').fill('E2E-1');
  await shot(page, '20-new-case');
  await page.getByRole('button', { name: 'Open case' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('ServiceDown');
  await expect(page.locator('.thread')).toContainText('The e2e office lost its link at 08:15.');

  await page.getByLabel('Your reply').fill('Still down after a router restart.');
  await page.getByRole('button', { name: 'Send reply' }).click();
  await expect(page.locator('.thread')).toContainText('Still down after a router restart.');

  await page.getByLabel('Add a file').setInputFiles({
    name: 'traceroute.txt',
    mimeType: 'text/plain',
    buffer: Buffer.from('1  10.0.0.1  1.2 ms\n2  * * *\n'),
  });
  await page.getByRole('button', { name: 'Upload' }).click();
  await expect(page.locator('#files')).toContainText('traceroute.txt');
  await expect(page.getByRole('button', { name: 'Cancel the case' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Close the case' })).toHaveCount(0);
  await shot(page, '21-case');
});

test('billing shows the twelve-month chart and downloads an invoice PDF', async ({ page }) => {
  await logIn(page, 'admin@acme.example');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Billing' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Billing');
  const chart = page.locator('svg.chart');
  await expect(chart).toHaveCount(1);
  await expect(chart.locator('rect.chart-bar')).toHaveCount(12);
  await expect(chart.locator('title').first()).toHaveText('Invoice totals, last twelve months');
  await shot(page, '22-billing');
  const downloading = page.waitForEvent('download');
  await page.getByRole('link', { name: /^PDF of INV-/ }).first().click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/^INV-.*\.pdf$/);
  const csv = page.waitForEvent('download');
  await page.getByRole('link', { name: /^CSV of INV-/ }).first().click();
  expect((await csv).suggestedFilename()).toMatch(/^INV-.*-lines\.csv$/);
});

test('a script typed into the case fields is shown as text and never runs', async ({ page }) => {
  const dialogs = [];
  page.on('dialog', async (dialog) => { dialogs.push(dialog.message()); await dialog.dismiss(); });
  await logIn(page, 'admin@acme.example');
  const payload = `<img src=x onerror="alert('xss')"><script>alert('xss')</script>`;
  await page.goto('/portal/support/new?type=NonIncident');
  await page.getByLabel('Subject').selectOption('InformationRequest');
  await page.getByLabel('Priority').selectOption('P4');
  await page.getByLabel('Service').selectOption({ index: 1 });
  await page.getByLabel('What happened, and what do you need?').fill(payload);
  await page.getByLabel('Your reference (optional)').fill(payload.slice(0, 100));
  await page.getByRole('button', { name: 'Open case' }).click();
  await expect(page.locator('.thread')).toContainText(payload);
  await page.getByLabel('Your reply').fill(payload);
  await page.getByRole('button', { name: 'Send reply' }).click();
  await expect(page.locator('.message-body').last()).toHaveText(payload);
  await page.goto('/portal/support?q=' + encodeURIComponent(payload));
  await expect(page.getByLabel('Reference or case id')).toHaveValue(payload);
  expect(dialogs).toEqual([]);
});

test('support and billing pages fit a phone', async ({ page }) => {
  await logIn(page, 'admin@acme.example');
  await page.setViewportSize({ width: 375, height: 740 });
  for (const path of [
    '/portal/support',
    '/portal/support/new?type=Incident',
    '/portal/support/cases/CASE-0000001',
    '/portal/support/cases/CASE-0000001/rfo',
    '/portal/billing',
  ]) {
    await page.goto(path);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, path).toBeLessThanOrEqual(0);
  }
  await shot(page, '23-phone-billing');
  await page.goto('/portal/support/cases/CASE-0000001/rfo');
  await shot(page, '24-phone-rfo');
});
