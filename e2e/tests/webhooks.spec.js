// The Developer Portal's webhooks: add an endpoint, see its signing secret once,
// send a test event to a real receiver that verifies it with the Standard
// Webhooks library from npm, see the delivery, and send it again.
const http = require('http');
const { test, expect } = require('@playwright/test');
const { Webhook } = require('standardwebhooks');
const { logIn, shot } = require('./helpers');

/// A receiver on a free local port; `verified` collects the events it could verify.
async function startReceiver() {
  const receiver = { verified: [], secret: null };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
      try {
        receiver.verified.push(new Webhook(receiver.secret).verify(body, req.headers));
        res.writeHead(204).end();
      } catch (error) {
        res.writeHead(401).end(String(error));
      }
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${server.address().port}/hook`;
  receiver.close = () => new Promise((resolve) => server.close(resolve));
  return receiver;
}

test('add a webhook endpoint, see the secret once, send a test, see the delivery, redeliver', async ({ page }) => {
  const receiver = await startReceiver();
  await logIn(page, 'developer@acme.example');
  await page.goto('/portal/developer/clients');
  await page.getByRole('navigation', { name: 'Developer Portal' }).getByRole('link', { name: 'Webhooks' }).click();
  await expect(page.getByRole('heading', { name: 'Webhooks' })).toBeVisible();
  await page.getByRole('link', { name: 'Add endpoint' }).click();
  await page.getByLabel('URL').fill(receiver.url);
  await page.getByLabel('Description').fill('NOC (e2e)');
  await shot(page, '20-new-webhook');
  await page.getByRole('button', { name: 'Add endpoint' }).click();

  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Webhook endpoint added');
  receiver.secret = await page.getByLabel('Signing secret').inputValue();
  expect(receiver.secret).toMatch(/^whsec_/);
  await expect(page.getByRole('button', { name: /Copy signing secret/ })).toBeVisible();
  await shot(page, '21-webhook-secret-once');
  await page.reload();
  await expect(page.locator('#secret-gone')).toBeVisible();
  await page.getByRole('link', { name: 'Go to the endpoint' }).click();

  await page.getByRole('button', { name: 'Send test event' }).click();
  await expect(page.locator('#test-status')).toHaveText('204');
  expect(receiver.verified.map((e) => e.type)).toEqual(['webhook.test']);
  const deliveries = page.locator('#deliveries');
  await expect(deliveries.getByText('webhook.test')).toBeVisible();
  await expect(deliveries.locator('.delivery-state').first()).toHaveText('Delivered');
  await shot(page, '22-webhook-tested');

  await deliveries.getByRole('button', { name: /Redeliver/ }).first().click();
  await expect(page.getByRole('status')).toContainText('queued again');
  await expect.poll(() => receiver.verified.length, { timeout: 10000 }).toBe(2);
  expect(receiver.verified[1].id).toBe(receiver.verified[0].id);
  await receiver.close();
});
