/**
 * The delivery example in Chromium: connect the toy carrier from the Marketplace (mapping its "Delivered" to the
 * account's "Complete"), create an order, pick the carrier on the order page, see its tariffs, save, get a track
 * number, run the carrier's tracking from its settings page, and see the status, its history and the mapped
 * order status on the order page. Screenshots go to test-results/delivery/.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { DevEnvironment } from '../src/dev/dev-environment.js';
import { startDevInChromium, type DevInChromium } from './browser.js';

describe('the toy carrier in Chromium: tariffs, save, track number, tracking', () => {
  let run: DevInChromium;
  let dev: DevEnvironment;
  const shot = (page: Page, name: string) => run.shot(page, name);

  before(async () => {
    run = await startDevInChromium('delivery', { modulePath: 'examples/delivery-carrier/module.ts' });
    dev = run.dev;
  });
  after(() => run?.close());

  it('connect, order, tariffs, save, track number, tracking pushes', async () => {
    const context = await run.browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    try {
      await run.openConnectForm(page);
      await page.fill('#apiKey', dev.apiKey);
      await page.fill('#status_delivered', 'complete');
      await shot(page, '01-connect-with-status-mapping');
      await page.click('button[type=submit]');
      await page.waitForURL(`${dev.accountUrl}/admin/integration/list`);

      await page.goto(`${dev.accountUrl}/admin/orders`);
      await page.fill('#number', 'DLV-1');
      await page.fill('#firstName', 'Ana');
      await page.fill('#productName', 'Teapot');
      await page.fill('#price', '30');
      await page.click('#create-order');
      await page.locator('[role=status]', { hasText: 'Order DLV-1 created.' }).waitFor();
      await page.click('#orders a:has-text("DLV-1")');
      await page.waitForURL((url) => /^\/admin\/orders\/\d+$/.test(url.pathname));
      const orderUrl = page.url();

      // Pick the carrier: its calculate answers the tariffs.
      await page.selectOption('#delivery-code', dev.definition.code);
      await page.click('#calculate-delivery');
      await page.locator('#tariffs').waitFor();
      const tariffs = await page.locator('#tariffs').innerText();
      assert.match(tariffs, /Express courier — 10\.50/);
      assert.match(tariffs, /Standard courier — 6\.00/);
      assert.match(tariffs, /Pick-up point — 3\.50/);
      await shot(page, '02-order-tariffs');

      await page.check('input[name=tariff][value=standard]');
      await page.click('#save-delivery');
      await page.locator('#track-number').waitFor();
      assert.match(await page.locator('#track-number').innerText(), /^TC[0-9A-Z]+$/);
      assert.equal(await page.locator('#delivery-cost').innerText(), '6.00');
      assert.equal(await page.locator('#delivery-status').innerText(), 'Registered');
      await shot(page, '03-order-delivery-saved');

      // The carrier's tracking run, from its settings page: twice, to "Delivered".
      await page.goto(`${dev.accountUrl}/admin/integration/list`);
      await page.locator(`tr[data-code="${dev.definition.code}"] button`, { hasText: 'Open settings' }).click();
      await page.waitForURL((url) => url.pathname === '/settings');
      await page.click('#advance-tracking');
      await page.waitForURL((url) => url.pathname === '/settings');
      await page.click('#advance-tracking');
      await page.waitForURL((url) => url.pathname === '/settings');
      assert.equal(await page.locator('[data-parcel-status]').innerText(), 'delivered');
      await shot(page, '04-carrier-tracking');

      await page.goto(orderUrl);
      assert.equal(await page.locator('#delivery-status').innerText(), 'Delivered');
      const history = await page.locator('#delivery-history').innerText();
      assert.match(history, /In transit/);
      assert.match(history, /Delivered/);
      assert.match(await page.locator('#order').innerText(), /complete/, 'the status mapping moved the order');
      await shot(page, '05-order-delivered');

      // Print the label: a PDF download.
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-print=label]')]);
      assert.equal(download.suggestedFilename().endsWith('.pdf'), true);
    } finally {
      await context.close();
    }
  });
});
