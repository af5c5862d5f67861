/**
 * The one-click connect in Chromium: publish a simple-connection module in the emulator, open the account's
 * marketplace, click Connect, and land on the module's settings page, with the connection stored and registered.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { goodSettings, type Harness, startHarness } from '../test/helpers/module-harness.js';
import { launchChromium } from './browser.js';

describe('simple connection in Chromium', () => {
  let h: Harness;
  let browser: Browser;

  before(async () => {
    h = await startHarness({ simpleConnection: { secret: 'partner-secret' } });
    h.emulator.publishModule({
      integrationCode: 'acme-sync',
      name: 'Acme sync',
      description: 'One-click connection',
      configUrl: `${h.module.url}/simple-connection/config`,
      secret: 'partner-secret',
    });
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await h?.close();
  });

  it('Connect in the marketplace lands on the settings page; saving the settings switches the module on', async () => {
    const page = await browser.newPage();
    await page.goto(h.emulator.marketplaceUrl('demo'));
    await page.click('article[data-integration-code="acme-sync"] button[data-connect="simple"]');
    // The ticket leads to "Open the settings of {account}?": no GET opens a session; its button does.
    await page.waitForSelector('[data-entry-confirm]');
    await Promise.all([page.waitForURL(`${h.module.url}/settings`), page.click('[data-entry-confirm]')]);
    assert.equal(new URL(page.url()).search, '', 'the ticket left the address bar');
    assert.equal(await page.getAttribute('[data-state]', 'data-state'), 'pending');
    assert.ok(await page.isVisible('[data-incomplete]'));
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/simple-connection-landing.png', fullPage: true });

    const connection = await h.module.store.findByAccount(h.crmUrl, 'acme-sync');
    assert.ok(connection, 'the connection is stored');
    const [registered] = h.emulator.integrationModules('demo');
    assert.equal(registered?.clientId, connection.clientId, 'the CRM holds the clientId the store knows');

    await page.fill('#siteCode', goodSettings.siteCode);
    await page.selectOption('#currency', goodSettings.currency);
    await page.check('#syncOrders');
    await Promise.all([page.waitForURL(/notice=saved/), page.click('form[action$="/settings/save"] button[type="submit"]')]);
    assert.equal(await page.getAttribute('[data-state]', 'data-state'), 'active');
    assert.equal(h.emulator.integrationModules('demo')[0]?.active, true);
    await page.screenshot({ path: 'test-results/simple-connection-settings.png', fullPage: true });
    await page.close();
  });

  it('a module refusing the connection: the CRM page shows its message', async () => {
    h.emulator.createAccount({ name: 'legacy', apiVersions: ['4.0'] });
    const page = await browser.newPage();
    await page.goto(h.emulator.marketplaceUrl('legacy'));
    await page.click('button[data-connect="simple"]');
    await page.waitForSelector('#module-error');
    assert.match((await page.textContent('#module-error')) ?? '', /version 5/i);
    await page.close();
  });
});
