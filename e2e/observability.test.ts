/**
 * The pictures, in Chromium: the emulator's request-log chart during a burst (the 503s the rate limit caused are
 * drawn in red above the limit line), and a connection's settings page with its sparkline of the last day.
 * Screenshots go to test-results/.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { callEmulator } from '../src/emulator/http-client.js';
import { startEmulator } from '../src/emulator/index.js';
import { createObservability } from '../src/observability/index.js';
import { inputValue } from '../test/helpers/form-client.js';
import { goodSettings, startHarness } from '../test/helpers/module-harness.js';
import { launchChromium } from './browser.js';

let browser: Browser;

describe('observability pictures in Chromium', () => {
  before(async () => {
    browser = await launchChromium();
    mkdirSync('test-results', { recursive: true });
  });
  after(async () => browser.close());

  it('the request log charts a burst: the rate limit drawn, the 503s visible', async () => {
    // A frozen limiter clock: exactly the budget passes however slowly the machine delivers the burst.
    const crm = await startEmulator({ port: 0, now: () => 0 });
    try {
      const { apiKey } = crm.createAccount({ name: 'burst' });
      const host = `burst.localhost:${crm.port}`;
      const replies = await Promise.all(Array.from({ length: 30 }, () => callEmulator(crm.port, host, '/api/credentials', { apiKey })));
      assert.equal(replies.filter((r) => r.status === 503).length, 20);
      const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
      await page.goto(`${crm.accountUrl('burst')}/admin/requests`);
      const chart = page.locator('svg.request-chart');
      await chart.waitFor();
      assert.equal(await chart.getAttribute('data-rate-limited'), '20');
      assert.equal(await page.locator('svg.request-chart line[data-limit="10"]').count(), 1);
      // The burst may straddle a second boundary: its 503s are then two bars, together as tall as 20 calls.
      const limited = page.locator('svg.request-chart rect[data-kind="rate-limited"]');
      const bars = await limited.evaluateAll((rects) => rects.map((r) => ({ count: Number(r.getAttribute('data-count')), height: r.getBoundingClientRect().height })));
      assert.equal(bars.reduce((sum, b) => sum + b.count, 0), 20);
      assert.ok(bars.reduce((sum, b) => sum + b.height, 0) > 40, 'the 503s are visibly drawn');
      assert.equal(await page.locator('script').count(), 0);
      await page.screenshot({ path: 'test-results/request-log-chart.png', fullPage: true });
      await page.close();
    } finally {
      await crm.close();
    }
  });

  it('the settings page shows the connection’s recent callbacks and CRM calls as a sparkline', async () => {
    const h = await startHarness({}, { observability: createObservability({ metrics: true }) });
    try {
      const form = await h.client.get(`${h.connectUrl}?account=${encodeURIComponent(`${h.crmUrl}/`)}`);
      const connected = await h.client.post(h.connectUrl, { account: `${h.crmUrl}/`, apiKey: h.apiKey, ...goodSettings, _csrf: inputValue(form.body, '_csrf') ?? '' });
      assert.equal(connected.status, 303);
      const [registered] = h.emulator.integrationModules('demo');
      assert.ok(registered);
      for (const active of [false, true, false, true]) await h.emulator.setActivity('demo', registered.code, { active });
      const page = await browser.newPage({ viewport: { width: 900, height: 1000 } });
      await page.goto(`${h.crmUrl}/admin/integration/list`);
      await page.locator(`tr[data-code="${registered.code}"] button`, { hasText: 'Open settings' }).click();
      const callbacks = page.locator('section.recent-activity svg[data-series="callbacks"]');
      await callbacks.waitFor();
      assert.equal(await page.locator('section.recent-activity svg[data-series="callbacks"]').getAttribute('data-total'), '4');
      assert.ok((await page.locator('svg[data-series="crm-calls"] rect[data-total]').count()) >= 1);
      // A wrong key on the settings page: the CRM refuses the module's call, and the sparkline shows it in red.
      await page.locator('#apiKey').fill('a-wrong-key-for-the-picture');
      await page.getByRole('button', { name: 'Check and save the key' }).click();
      await page.locator('[role="alert"]').first().waitFor();
      assert.equal(await page.locator('svg[data-series="crm-calls"]').getAttribute('data-failed'), '1');
      assert.equal(await page.locator('svg[data-series="crm-calls"] rect[data-failed]').count(), 1);
      assert.equal(await page.locator('script').count(), 0);
      await page.screenshot({ path: 'test-results/settings-sparkline.png', fullPage: true });
      await page.close();
    } finally {
      await h.close();
    }
  });
});
