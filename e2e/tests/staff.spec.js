// The provider's staff pages with the customer beside them, in two browser
// contexts: the customer opens an incident; staff move it to Pending; the
// customer's reply hands it back (InProgress); staff resolve it and publish a
// final RFO; the customer downloads the RFO's PDF and closes the case.
const { test, expect } = require('@playwright/test');
const { logIn, staffLogIn, shot } = require('./helpers');

async function move(page, status) {
  await page.getByLabel('New status').selectOption(status);
  await page.getByRole('button', { name: 'Change status' }).click();
  await expect(page.locator('#case-status')).toHaveText(status);
}

test('an incident worked by staff to a final RFO that the customer downloads, then closes', async ({ page, browser }) => {
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });

  // The customer opens an incident through the portal.
  await logIn(page, 'admin@acme.example');
  await page.goto('/portal/support/new?type=Incident');
  await page.getByLabel('Subject').selectOption('ServiceDown');
  await page.getByLabel('Priority').selectOption('P1');
  await page.getByLabel('Service').selectOption({ index: 1 });
  await page.getByLabel('Start of incident (UTC)').fill('2026-11-26T08:15');
  await page.getByLabel('What happened, and what do you need?').fill('Staff e2e: the Rotterdam link is down.');
  await page.getByRole('button', { name: 'Open case' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('ServiceDown');
  const caseId = page.url().split('/').pop();
  expect(caseId).toMatch(/^CASE-\d+$/);

  // Staff, in their own browser context, log in at /staff/login.
  const staffContext = await browser.newContext();
  const staff = await staffContext.newPage();
  staff.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await staffLogIn(staff);
  await staff.getByLabel('Status').selectOption('Acknowledged');
  await staff.getByRole('button', { name: 'Filter' }).click();
  await expect(staff.locator('tbody')).toContainText(caseId);
  await shot(staff, '30-staff-queue');
  await staff.getByRole('link', { name: caseId }).click();
  await expect(staff.getByRole('heading', { level: 1 })).toContainText(caseId);
  await expect(staff.locator('.thread')).toContainText('the Rotterdam link is down');
  await move(staff, 'InProgress');
  await move(staff, 'Pending');
  await staff.getByLabel('Public reply to the customer').fill('Please check the router\'s power LED.');
  await staff.getByRole('button', { name: 'Send reply' }).click();
  await expect(staff.locator('.thread')).toContainText('power LED');
  await shot(staff, '31-staff-case');

  // The customer replies; the case is the provider's again.
  await page.reload();
  await expect(page.locator('.thread')).toContainText('power LED');
  await expect(page.locator('dl.facts .status')).toHaveText('Pending');
  await page.getByLabel('Your reply').fill('The LED is green; still no traffic.');
  await page.getByRole('button', { name: 'Send reply' }).click();
  await expect(page.locator('dl.facts .status')).toHaveText('InProgress');

  // Staff resolve it and publish a preliminary, then a final RFO.
  await staff.reload();
  await expect(staff.locator('#case-status')).toHaveText('InProgress');
  await move(staff, 'Resolved');
  await staff.getByLabel('Detected (UTC)').fill('2026-11-26T08:17:00Z');
  await staff.getByLabel('Restored (UTC', { exact: false }).fill('2026-11-26T09:40:00Z');
  await staff.getByLabel('Root cause category').fill('FiberCut');
  await staff.getByLabel('Root cause', { exact: true }).fill('Construction work cut the carrier\'s fibre.');
  await staff.getByLabel('Responsible party').fill('ThirdPartyCarrier');
  await staff.getByLabel('Timeline (one line each').fill('2026-11-26T08:40Z | Carrier engineer on site');
  await staff.getByRole('button', { name: 'Publish RFO' }).click();
  await expect(staff.locator('#rfo-status')).toHaveText('Preliminary');
  await staff.getByLabel('RFO status').selectOption('Final');
  await staff.getByLabel('Corrective actions (one a line)').fill('Fibre spliced and measured');
  await staff.getByRole('button', { name: 'Publish RFO' }).click();
  await expect(staff.locator('#rfo-status')).toHaveText('Final');
  await shot(staff, '32-staff-rfo');

  // The customer reads the RFO and downloads its PDF.
  await page.goto(`/portal/support/cases/${caseId}/rfo`);
  await expect(page.locator('main')).toContainText('Construction work cut the carrier');
  const pdf = await page.request.get(`/portal/support/cases/${caseId}/rfo.pdf`);
  expect(pdf.status()).toBe(200);
  expect(pdf.headers()['content-type']).toBe('application/pdf');
  const body = await pdf.body();
  expect(body.length).toBeGreaterThan(0);
  expect(body.subarray(0, 4).toString()).toBe('%PDF');

  // And closes the case.
  await page.goto(`/portal/support/cases/${caseId}`);
  await page.getByRole('button', { name: 'Close the case' }).click();
  await expect(page.locator('dl.facts .status')).toHaveText('Closed');

  // Staff see the whole story in the audit log.
  await staff.goto(`/staff/audit?action=case.`);
  await expect(staff.locator('tbody')).toContainText('case.rfo_published');
  await expect(staff.locator('tbody')).toContainText(`case ${caseId}`);
  await shot(staff, '33-staff-audit');
  expect(errors).toEqual([]);
  await staffContext.close();
});

test('staff pages: organizations, import, outbox, and no way in with a customer session', async ({ page, browser }) => {
  const staffContext = await browser.newContext();
  const staff = await staffContext.newPage();
  await staffLogIn(staff);
  const nav = staff.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('link', { name: 'Organizations' }).click();
  await expect(staff.getByRole('heading', { level: 1 })).toHaveText('Organizations');
  await shot(staff, '34-staff-organizations');
  await staff.getByRole('link', { name: 'ACME Corporation' }).click();
  await expect(staff.getByRole('heading', { name: /^Services/ })).toBeVisible();
  await shot(staff, '35-staff-organization');

  await nav.getByRole('link', { name: 'Import' }).click();
  await staff.getByLabel('Import file').setInputFiles({
    name: 'broken.json',
    mimeType: 'application/json',
    buffer: Buffer.from('{"organizations": [{"ref": "crm-e2e", "name": "E2E Ltd", "accounts": [{"ref": "C-1", "type": "Sideways", "name": "x", "country": "NL"}]}]}'),
  });
  await staff.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(staff.locator('#import-errors')).toContainText('/organizations/0/accounts/0/type');
  await staff.getByLabel('Import file').setInputFiles({
    name: 'e2e.json',
    mimeType: 'application/json',
    buffer: Buffer.from('{"organizations": [{"ref": "crm-e2e", "name": "E2E Ltd", "accounts": [{"ref": "C-1", "type": "Contract", "name": "E2E Contracts", "country": "NL"}]}]}'),
  });
  await staff.getByRole('button', { name: 'Import', exact: true }).click();
  await expect(staff.locator('#import-summary')).toContainText('Organizations');
  await shot(staff, '36-staff-import');

  await nav.getByRole('link', { name: 'Outbox' }).click();
  await expect(staff.getByRole('heading', { level: 1 })).toHaveText('Outbox');
  await shot(staff, '37-staff-outbox');
  await staffContext.close();

  // A customer's session opens no staff page.
  await logIn(page, 'admin@acme.example');
  await page.goto('/staff/cases');
  await expect(page).toHaveURL(/\/staff\/login/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Provider staff log in');
});

test('staff pages fit a phone', async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 375, height: 740 } });
  const staff = await context.newPage();
  await staffLogIn(staff);
  for (const path of [
    '/staff/cases',
    '/staff/cases/CASE-0000001',
    '/staff/organizations',
    '/staff/organizations/ORG-000001',
    '/staff/import',
    '/staff/audit',
    '/staff/outbox',
  ]) {
    await staff.goto(path);
    const overflow = await staff.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, path).toBeLessThanOrEqual(0);
  }
  await shot(staff, '38-phone-staff-outbox');
  await context.close();
});
