// Network performance: a customer opens a service's Network performance tab
// (the demo fills 13 months of measurements for its first services in the
// background at start), walks the four ranges, and downloads the CSV, whose
// numbers are the ones in the charts' tables.
const { test, expect } = require('@playwright/test');
const { logIn, shot } = require('./helpers');

const RANGES = [['24h', '24 hours'], ['7d', '7 days'], ['30d', '30 days'], ['13m', '13 months']];

// The table's rounding (portal/performance.rs `number`).
function shown(value) {
  const v = Math.abs(value);
  return value.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2);
}

// "2026-12-07T08:15:00Z" → "2026-12-07 08:15 UTC", as the tables write times.
function dayTime(rfc3339) {
  return `${rfc3339.slice(0, 10)} ${rfc3339.slice(11, 16)} UTC`;
}

test('the Network performance tab draws every range and its CSV matches the tables', async ({ page }) => {
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(e.message));

  // Sites & Services → Network performance lists the busiest measured services
  // (the demo's measurements arrive in the background within seconds of start).
  await logIn(page, 'admin@acme.example');
  await expect(async () => {
    await page.goto('/portal/performance');
    await expect(page.locator('tbody a[href*="/performance"]').first()).toBeVisible({ timeout: 1000 });
  }).toPass({ timeout: 60000 });
  await shot(page, '60-performance-busiest');
  await page.locator('tbody a[href*="/performance"]').first().click();
  await expect(page).toHaveURL(/\/portal\/services\/SVC-\d+\/performance/);
  await expect(page.locator('svg.chart-lines polyline').first()).toBeVisible();

  for (const [key, label] of RANGES) {
    await page.getByRole('navigation', { name: 'Time range' }).getByRole('link', { name: label }).click();
    await expect(page).toHaveURL(new RegExp(`range=${key}`));
    await expect(page.getByRole('navigation', { name: 'Time range' }).locator('[aria-current="true"]')).toHaveText(label);
    await expect(page.locator('svg.chart-lines')).toHaveCount(4);
    await expect(page.locator('svg.chart-lines polyline').first()).toBeVisible();
    await expect(page.getByRole('heading', { level: 2, name: 'Traffic' })).toBeVisible();
    await shot(page, `61-performance-${key}`);
  }

  // The last range drawn (13 months) as CSV, against the latency chart's table.
  const csvHref = await page.getByRole('link', { name: /as CSV/ }).getAttribute('href');
  const response = await page.request.get(csvHref);
  expect(response.status()).toBe(200);
  expect(response.headers()['content-type']).toContain('text/csv');
  const lines = (await response.text()).trim().split('\n');
  expect(lines[0]).toBe('time,metric,series,unit,average,min,max');
  const latencyCsv = lines.slice(1)
    .map((l) => l.split(','))
    .filter((f) => f[1] === 'latency')
    .map((f) => [dayTime(f[0]), shown(Number(f[4]))]);
  expect(latencyCsv.length).toBeGreaterThan(300);

  const section = page.locator('section', { has: page.getByRole('heading', { level: 2, name: 'Latency and jitter' }) });
  await section.getByText('The numbers as a table').click();
  const table = await section.locator('tbody tr').evaluateAll((rows) => rows.map((r) => [
    r.querySelector('th').textContent.trim(),
    r.querySelector('td').textContent.trim(),
  ]));
  expect(table).toEqual(latencyCsv);

  expect(errors).toEqual([]);
});
