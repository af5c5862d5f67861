/**
 * The payment example in Chromium: connect the toy gateway, create an order, create an invoice on the order page,
 * follow its pay link to the gateway's own page, pay, and see the order's payment paid; refund part of it.
 * Screenshots go to test-results/payment/.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { DevEnvironment } from '../src/dev/dev-environment.js';
import { startDevInChromium, type DevInChromium } from './browser.js';

describe('the toy gateway in Chromium: invoice, pay page, paid, refund', () => {
  let run: DevInChromium;
  let dev: DevEnvironment;
  const shot = (page: Page, name: string) => run.shot(page, name);

  before(async () => {
    run = await startDevInChromium('payment', { modulePath: 'examples/payment-gateway/module.ts' });
    dev = run.dev;
  });
  after(() => run?.close());

  it('connect, invoice, pay on the gateway, paid, refund', async () => {
    const context = await run.browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    try {
      await run.openConnectForm(page);
      await page.fill('#apiKey', dev.apiKey);
      await page.click('button[type=submit]');
      await page.waitForURL(`${dev.accountUrl}/admin/integration/list`);

      await page.goto(`${dev.accountUrl}/admin/orders`);
      await page.fill('#number', 'PAY-1');
      await page.fill('#productName', 'Lamp');
      await page.fill('#price', '40');
      await page.click('#create-order');
      await page.locator('[role=status]', { hasText: 'Order PAY-1 created.' }).waitFor();
      await page.click('#orders a:has-text("PAY-1")');
      await page.waitForURL((url) => /^\/admin\/orders\/\d+$/.test(url.pathname));
      const orderUrl = page.url();

      await page.selectOption('#payment-code', dev.definition.code);
      await page.click('#create-invoice');
      await page.locator('[data-invoice-status=pending]').waitFor();
      await shot(page, '01-order-invoice-created');

      // The customer follows the link to the gateway's page and pays.
      await page.click('[data-invoice-link]');
      await page.waitForURL((url) => url.pathname.startsWith('/pay/'));
      assert.match(await page.locator('#pay-amount').innerText(), /40\.00/);
      await shot(page, '02-gateway-pay-page');
      await page.click('#pay');
      await page.locator('#pay-result[data-status=succeeded]').waitFor();
      await shot(page, '03-gateway-paid');

      await page.goto(orderUrl);
      await page.locator('[data-invoice-status=succeeded]').waitFor();
      await shot(page, '04-order-paid');

      await page.fill('input[name=amount][aria-label="Refund amount"]', '15');
      await page.click('[data-refund-button]');
      await page.locator('[data-refund]', { hasText: '15.00 succeeded' }).waitFor();
      assert.equal(await page.locator('[data-invoice-status]').getAttribute('data-invoice-status'), 'succeeded');
      await shot(page, '05-order-refunded');
    } finally {
      await context.close();
    }
  });
});
