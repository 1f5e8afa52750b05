/** Debian's chromium driven by playwright-core, no browser download; CI installs it in .ci/run. */
import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

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
