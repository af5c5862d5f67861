/**
 * The README's Quick start, exactly as written: open the Marketplace, Connect on the Order sync (demo) card, paste
 * the printed key, enter store code `main`, submit (nothing else touched) → the integration list with the module
 * active; switch it off there, Open settings, the module follows. Screenshots in test-results/quick-start/.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startDevInChromium, type DevInChromium } from './browser.js';

describe("the README's Quick start in Chromium", () => {
  let run: DevInChromium;
  before(async () => {
    run = await startDevInChromium('quick-start');
  });
  after(() => run?.close());

  it('the README still says what this test does', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    assert.match(readme, /click \*\*Connect\*\* on the\s+\*Order sync \(demo\)\* card, paste the API key it printed, enter store code `main`, and submit/);
  });

  it('paste the key, enter store code main, submit: the module is active; switched off, its settings follow', async () => {
    const { dev, browser, shot } = run;
    const page = await browser.newPage({ locale: 'en-US' });
    await page.goto(dev.marketplaceUrl);
    await page.locator('article', { hasText: 'Order sync (demo)' }).locator('a', { hasText: 'Connect' }).click();
    await page.waitForURL((url) => url.pathname === '/connect');
    await page.fill('#apiKey', dev.apiKey);
    await page.fill('#siteCode', 'main');
    await shot(page, '01-form');
    await page.click('button[type=submit]');
    await page.waitForURL(`${dev.accountUrl}/admin/integration/list`);
    const row = page.locator(`tr[data-code="${dev.definition.code}"]`);
    assert.match(await row.innerText(), /active/i);
    await shot(page, '02-active');
    await row.locator('button', { hasText: /^Deactivate$/ }).click();
    await page.waitForLoadState();
    await page.locator(`tr[data-code="${dev.definition.code}"] button`, { hasText: 'Open settings' }).click();
    await page.waitForURL((url) => url.pathname === '/settings');
    assert.equal(await page.getAttribute('[data-state]', 'data-state'), 'inactive');
    await shot(page, '03-settings-inactive');
    await page.close();
  });
});
