/**
 * `certify` against real modules over HTTP: the three example modules and a healthy kit module pass; each
 * deliberately broken variant fails with exactly one named reason; the JUnit XML says the same.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { orderSyncModule } from '../../examples/order-sync/module.js';
import { createModule as deliveryCarrier } from '../../examples/delivery-carrier/module.js';
import { createModule as paymentGateway } from '../../examples/payment-gateway/module.js';
import { certifyModule, CertifyReason, failureReasons, formatReport, junitXml, type CertifyReport } from '../../src/certify/index.js';
import { startModule } from '../../src/host/start-module.js';
import { generateKeyEntry } from '../../src/store/keyring.js';
import { openConnectionStore } from '../../src/store/open-connection-store.js';
import { freePort } from '../helpers/ports.js';
import { type Break, SECRET, startBrokenModule } from './broken-module.js';

// Generous for a loaded machine; the slow variant answers well past it.
const BUDGET_MS = 1500;

async function certifyVariant(broken: Break): Promise<CertifyReport> {
  const target = await startBrokenModule(broken, { slowMs: BUDGET_MS + 700 });
  try {
    const report = await certifyModule({
      connectUrl: `${target.url}/connect`,
      simple: { configUrl: `${target.url}/simple-connection/config`, secret: SECRET },
      fields: { siteCode: 'main', currency: 'RUB' },
      budgetMs: BUDGET_MS,
    });
    // No report quotes a secret: the secret, a clientId the CRM sent, or the registered ones.
    const text = `${formatReport(report).join('\n')}\n${junitXml(report)}`;
    for (const secret of [SECRET, ...target.clientIdsSeen].filter((s) => !s.startsWith('certify-unknown-')))
      assert.ok(!text.includes(secret), `the report of "${broken}" quotes a secret`);
    return report;
  } finally {
    await target.close();
  }
}

const explain = (report: CertifyReport) => formatReport(report).join('\n');

describe('certify', () => {
  it('passes the example module (the old method, its own settings filled in)', async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'rcmk-certify-example-'));
    const store = await openConnectionStore({ databaseUrl: join(dir, 'm.sqlite'), keyring: generateKeyEntry('t') });
    const running = await startModule({
      module: orderSyncModule(`http://127.0.0.1:${port}`),
      port,
      store,
      accountUrlPolicy: { allowLocal: true },
      cookieSecret: 'a-test-cookie-secret-of-32-characters!',
      logger: false,
    });
    const log = console.info;
    console.info = () => {}; // the example's hooks print a line per connect
    try {
      const report = await certifyModule({ connectUrl: `${running.url}/connect`, fields: { siteCode: 'main' } });
      assert.equal(report.ok, true, explain(report));
      const passed = report.checks.filter((c) => c.status === 'passed').map((c) => c.id);
      for (const id of ['form.open', 'form.wrong-key', 'form.connect', 'form.registration', 'activity.unknown-client', 'activity.deliver', 'activity.repeat', 'open.settings-page', 'form.reinstall'])
        assert.ok(passed.includes(id), `${id} passed\n${explain(report)}`);
    } finally {
      console.info = log;
      await running.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  for (const [name, createModule, integration] of [
    ['delivery-carrier', deliveryCarrier, 'delivery.calculate'],
    ['payment-gateway', paymentGateway, 'payment.create'],
  ] as const) {
    it(`passes the ${name} example module, its integration callbacks included`, async () => {
      const dir = mkdtempSync(join(tmpdir(), `rcmk-certify-${name}-`));
      const store = await openConnectionStore({ databaseUrl: join(dir, 'm.sqlite'), keyring: generateKeyEntry('t') });
      const running = await startModule({
        module: createModule,
        port: 0,
        store,
        accountUrlPolicy: { allowLocal: true },
        cookieSecret: 'a-test-cookie-secret-of-32-characters!',
        logger: false,
      });
      try {
        const report = await certifyModule({ connectUrl: `${running.url}/connect` });
        assert.equal(report.ok, true, explain(report));
        const passed = report.checks.filter((c) => c.status === 'passed').map((c) => c.id);
        for (const id of ['form.connect', 'activity.deliver', 'settings.deliver', integration, 'form.reinstall'])
          assert.ok(passed.includes(id), `${id} passed\n${explain(report)}`);
      } finally {
        await running.close();
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it('passes a healthy kit module by both methods, and writes JUnit XML without failures', async () => {
    const report = await certifyVariant('none');
    assert.equal(report.ok, true, explain(report));
    assert.deepEqual(failureReasons(report), []);
    for (const id of ['simple.config', 'simple.bad-hmac', 'simple.register', 'simple.landing', 'simple.replay', 'simple.reinstall'])
      assert.equal(report.checks.find((c) => c.id === id)?.status, 'passed', `${id}\n${explain(report)}`);
    const xml = junitXml(report);
    assert.match(xml, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites tests="\d+" failures="0"/);
    assert.equal((xml.match(/<testcase /g) ?? []).length, report.checks.length);
  });

  it('checks a declared settings callback and integration actions, and passes a module that answers them', async () => {
    const report = await certifyVariant('with-callbacks');
    assert.equal(report.ok, true, explain(report));
    for (const id of ['settings.unknown-client', 'settings.deliver', 'delivery.calculate', 'delivery.get'])
      assert.equal(report.checks.find((c) => c.id === id)?.status, 'passed', `${id}\n${explain(report)}`);
  });

  it('fails a module that does not answer as unreachable, and never passes with nothing checked', async () => {
    const port = await freePort();
    const report = await certifyModule({ connectUrl: `http://127.0.0.1:${port}/connect`, timeoutMs: 2000 });
    assert.equal(report.ok, false);
    assert.deepEqual(failureReasons(report), [CertifyReason.Unreachable], explain(report));
    assert.equal((await certifyModule({})).ok, false);
  });

  const variants: [Break, CertifyReason][] = [
    ['integration-5xx', CertifyReason.CallbackRefused],
    ['wrong-envelope', CertifyReason.WrongEnvelope],
    ['unknown-client-500', CertifyReason.UnknownClientIdServerError],
    ['bad-hmac-accepted', CertifyReason.BadHmacAccepted],
    ['replay-accepted', CertifyReason.ReplayAccepted],
    ['no-activity-action', CertifyReason.ActivityNotRegistered],
    ['wrong-register-answer', CertifyReason.WrongRegisterAnswer],
    ['slow-callback', CertifyReason.CallbackTooSlow],
    ['reinstall-duplicates', CertifyReason.ReinstallDuplicates],
    ['account-not-prefilled', CertifyReason.AccountNotPrefilled],
    ['wrong-key-silent', CertifyReason.WrongKeyUnreadable],
    ['landing-404', CertifyReason.LandingBroken],
    ['settings-page-500', CertifyReason.SettingsPageBroken],
  ];
  for (const [broken, reason] of variants) {
    it(`fails a module with "${broken}" for one reason: ${reason}`, async () => {
      const report = await certifyVariant(broken);
      assert.equal(report.ok, false, explain(report));
      assert.deepEqual(failureReasons(report), [reason], explain(report));
      const xml = junitXml(report);
      assert.match(xml, new RegExp(`<failure message="${reason}"`));
    });
  }
});
