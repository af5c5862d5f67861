/**
 * The seed's diagram in a real browser: Marketplace → Connect → the module's form → the CRM's integration list →
 * switched off there → the module's settings page (opened from the CRM) shows it. Also the rights error in
 * Russian and a wrong key. A screenshot per step goes to test-results/seed/.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { DevEnvironment } from '../src/dev/dev-environment.js';
import { startDevInChromium, type DevInChromium } from './browser.js';

describe('the seed in Chromium: old connection method end to end', () => {
  let run: DevInChromium;
  let dev: DevEnvironment;
  const shot = (page: Page, name: string) => run.shot(page, name);


  async function fillSettings(page: Page, apiKey: string) {
    await page.fill('#apiKey', apiKey);
    await page.fill('#siteCode', 'main');
    await page.fill('#orderPrefix', 'WEB');
    await page.selectOption('#syncEveryMinutes', '15');
    await page.check('#includeCancelled');
  }

  before(async () => {
    run = await startDevInChromium('seed');
    dev = run.dev;
  });
  after(() => run?.close());

  it('connects from the Marketplace, lands on the integration list, and follows activity changes', async () => {
    const context = await run.browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    try {
      // Steps 1–2: the card in the Marketplace, Connect sends the browser to the module with ?account=.
      await page.goto(dev.marketplaceUrl);
      await shot(page, '01-marketplace');
      await run.openConnectForm(page);
      assert.equal(new URL(page.url()).searchParams.get('account'), `${dev.accountUrl}/`);
      // Step 3: the form, with the account filled in.
      assert.equal(await page.inputValue('#account'), dev.accountUrl);
      assert.equal(await page.getAttribute('#apiKey', 'type'), 'password');
      await fillSettings(page, dev.apiKey);
      await shot(page, '02-connect-form-filled');
      // Steps 4–6: checks, registration, back to the account.
      await page.click('button[type=submit]');
      await page.waitForURL(`${dev.accountUrl}/admin/integration/list`);
      const row = page.locator(`tr[data-code="${dev.definition.code}"]`);
      assert.match(await row.innerText(), /active/i);
      await shot(page, '03-crm-integration-list-active');

      const connection = await dev.module.store.findByAccount(dev.accountUrl, dev.definition.code);
      assert.equal(connection?.state, 'active');
      assert.deepEqual(connection?.settings, { siteCode: 'main', orderPrefix: 'WEB', syncEveryMinutes: '15', includeCancelled: true });

      // The CRM switches the module off: the activity callback reaches the module.
      await row.locator('button', { hasText: /^Deactivate$/ }).click();
      await page.waitForLoadState();
      assert.match(await page.locator(`tr[data-code="${dev.definition.code}"]`).innerText(), /inactive/i);
      await shot(page, '04-crm-deactivated');
      assert.equal((await dev.module.store.findByAccount(dev.accountUrl, dev.definition.code))?.state, 'inactive');

      // Open settings: the CRM's top-level POST with clientId; the module's page shows it switched off.
      await page.locator(`tr[data-code="${dev.definition.code}"] button`, { hasText: 'Open settings' }).click();
      await page.waitForURL((url) => url.pathname === '/settings');
      assert.equal(await page.getAttribute('[data-state]', 'data-state'), 'inactive');
      assert.match(await page.locator('[data-state]').innerText(), /Switched off in the CRM/);
      assert.ok(!page.url().includes(connection?.clientId ?? '-'), 'the clientId is not left in the address bar');
      await shot(page, '05-module-settings-inactive');
    } finally {
      await context.close();
    }
  });

  it('a key lacking a right shows the rights message in Russian (Accept-Language: ru)', async () => {
    const context = await run.browser.newContext({ locale: 'ru-RU', extraHTTPHeaders: { 'Accept-Language': 'ru-RU,ru;q=0.9' } });
    const page = await context.newPage();
    try {
      await run.openConnectForm(page);
      assert.equal(await page.getAttribute('html', 'lang'), 'ru');
      await fillSettings(page, dev.weakApiKey);
      await page.click('button[type=submit]');
      const alert = page.locator('[role=alert]');
      await alert.waitFor();
      assert.match(await alert.innerText(), new RegExp(`не хватает прав: ${dev.weakKeyLacks}`));
      assert.match(await page.locator('#apiKey-error').innerText(), /не хватает прав/);
      await shot(page, '06-rights-missing-ru');
    } finally {
      await context.close();
    }
  });

  it('a wrong key shows its message and keeps the other input, never the key', async () => {
    const context = await run.browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    try {
      await run.openConnectForm(page);
      await fillSettings(page, 'ThisKeyDoesNotExistInTheAccount1');
      await page.click('button[type=submit]');
      await page.locator('[role=alert]').waitFor();
      assert.match(await page.locator('#apiKey-error').innerText(), /does not accept this API key/);
      assert.equal(await page.inputValue('#account'), dev.accountUrl);
      assert.equal(await page.inputValue('#orderPrefix'), 'WEB');
      assert.equal(await page.inputValue('#syncEveryMinutes'), '15');
      assert.equal(await page.isChecked('#includeCancelled'), true);
      assert.equal(await page.inputValue('#apiKey'), '');
      assert.ok(!(await page.content()).includes('ThisKeyDoesNotExist'));
      await shot(page, '07-wrong-key');
    } finally {
      await context.close();
    }
  });
});
