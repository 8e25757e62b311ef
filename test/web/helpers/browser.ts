// A real headless Chromium for the monitor's tests: Debian's package
// (or CHROMIUM_PATH), driven by playwright-core, with a fresh profile that
// is removed afterwards. Nothing is downloaded.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Where the test runs leave their screenshots (git-ignored). */
export const ARTIFACTS = fileURLToPath(new URL('../../../../artifacts/monitor/', import.meta.url));

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function chromiumPath(): string {
  const found = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => p && existsSync(p));
  if (!found) throw new Error('no Chromium: install Debian\'s `chromium` (node scripts/ensure-system-tools.mjs) or set CHROMIUM_PATH');
  return found;
}

export interface TestBrowser {
  context: BrowserContext;
  /** a new tab whose console errors and page errors are collected */
  page(): Promise<Page>;
  /** messages of uncaught page errors and console errors so far */
  errors: string[];
  screenshot(page: Page, name: string): Promise<string>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'sisock-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    args: FLAGS,
    headless: true,
    viewport: { width: 1440, height: 900 },
    colorScheme: 'dark',
    acceptDownloads: true,
    timezoneId: 'UTC',
    locale: 'en-GB',
  });
  const errors: string[] = [];
  mkdirSync(ARTIFACTS, { recursive: true });
  return {
    context,
    errors,
    async page() {
      const page = await context.newPage();
      page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
      page.on('console', (m) => {
        // a refused connection while a component is down is expected; code errors are not
        if (m.type() === 'error' && !/Failed to load resource|ERR_CONNECTION_REFUSED|EventSource/.test(m.text())) errors.push(`console: ${m.text()}`);
      });
      return page;
    },
    async screenshot(page, name) {
      const path = join(ARTIFACTS, `${name}.png`);
      await page.screenshot({ path, fullPage: true });
      return path;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
