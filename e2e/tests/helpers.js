const path = require('path');
const { expect } = require('@playwright/test');

const PASSWORD = process.env.E2E_DEMO_PASSWORD || 'demo-password-123';
const SHOTS = path.join(__dirname, '..', '..', 'target', 'e2e-screenshots');

async function logIn(page, email) {
  await page.goto('/portal/login');
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Welcome');
}

const STAFF = 'staff@provider.example';

async function staffLogIn(page) {
  await page.goto('/staff/login');
  await page.getByLabel('Email address').fill(STAFF);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Case queue');
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

module.exports = { logIn, staffLogIn, shot, PASSWORD };
