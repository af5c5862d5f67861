/**
 * Shared Chromium launcher for the e2e tests: Debian's chromium via playwright-core, never a downloaded browser.
 * Chromium resolves `*.localhost` to loopback by itself, so pages of emulated accounts open directly.
 * @module
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startDevEnvironment, type DevEnvironment, type DevOptions } from '../src/dev/dev-environment.js';

export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** Flags that keep Chromium quiet and offline in CI (STACK.md §3). */
export const CHROMIUM_ARGS: readonly string[] = Object.freeze([
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
]);

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...CHROMIUM_ARGS] });
}

/** `dev` (the emulator and a module) with a Chromium beside it, and a folder for the test's screenshots. */
export interface DevInChromium {
  readonly dev: DevEnvironment;
  readonly browser: Browser;
  /** A full-page screenshot named `name`.png in the test's folder under test-results/. */
  shot(page: Page, name: string): Promise<Buffer>;
  /** Steps 1–3 of the seed: the Marketplace, Connect on the module's card, its form at `/connect`. */
  openConnectForm(page: Page): Promise<void>;
  close(): Promise<void>;
}

export async function startDevInChromium(shots: string, options: DevOptions = {}): Promise<DevInChromium> {
  const folder = join('test-results', shots);
  mkdirSync(folder, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), `rcmk-e2e-${shots}-`));
  const dev = await startDevEnvironment({ port: 0, emulatorPort: 0, dataDir, logLevel: 'silent', ...options });
  const browser = await launchChromium().catch(async (error: unknown) => {
    await dev.close();
    throw error;
  });
  return {
    dev,
    browser,
    shot: (page, name) => page.screenshot({ path: join(folder, `${name}.png`), fullPage: true }),
    async openConnectForm(page) {
      await page.goto(dev.marketplaceUrl);
      await page.locator(`article[data-integration-code="${dev.definition.integrationCode}"] a`, { hasText: 'Connect' }).click();
      await page.waitForURL((url) => url.pathname === '/connect');
    },
    async close() {
      await browser.close();
      await dev.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
