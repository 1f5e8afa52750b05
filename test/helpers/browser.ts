/** Debian's chromium driven by playwright-core, no browser download; CI installs it in .ci/run. */
import fs from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env['IRONBRIDGE_CHROMIUM'] ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));

/** Launches chromium; a missing browser fails at once with what to install, before a test starts anything else. */
export async function launchBrowser(executable: string | undefined = CHROMIUM): Promise<Browser> {
  if (!executable || !fs.existsSync(executable)) {
    throw new Error(`chromium is not installed${executable ? ` at ${executable}` : ''}: apt-get install -y chromium (.ci/run does this), or set IRONBRIDGE_CHROMIUM`);
  }
  return chromium.launch({
    executablePath: executable,
    timeout: 60_000,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
}

/**
 * Collects what a page must never show into `problems`: console errors, uncaught page errors and CSP violation
 * reports (the listener is injected over CDP, so the page's own CSP does not apply to it).
 */
export async function watchPage(page: Page, problems: string[]): Promise<void> {
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  await page.addInitScript({ content: "document.addEventListener('securitypolicyviolation', "
    + "(e) => console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI))" });
}

/** Fills and submits the gateway's login form once it shows. */
export async function submitLogin(page: Page, email: string, password: string): Promise<void> {
  await page.waitForSelector('input[name=email]');
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
}
