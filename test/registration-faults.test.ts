/**
 * Faults on `edit`, the one call that changes the CRM (issue 14, items 1 and 2): an answer that is lost after the
 * CRM stored the registration, a failure on a re-connect, a hook that throws. After each, the store and the CRM
 * agree, `onConnected({ created: true })` runs once in the connection's life, and a failed re-connect leaves the
 * working key and settings in place.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { KNOWN_SCOPES } from '../src/protocol/index.js';
import { alertText, inputValue } from './helpers/form-client.js';
import { goodSettings, type Harness, startHarness } from './helpers/module-harness.js';

const EDIT = '/api/v5/integration-modules/acme-sync/edit';
const READ = '/api/v5/integration-modules/acme-sync';

let h: Harness;
const hookCalls: { connectionId: string; created: boolean }[] = [];
let failHooks = 0;
let accounts = 0;

async function submit(fields: Record<string, string>) {
  const page = await h.client.get(`${h.connectUrl}?account=${encodeURIComponent(fields.account ?? '')}`);
  return h.client.post(h.connectUrl, { ...fields, _csrf: inputValue(page.body, '_csrf') ?? '' });
}

function newAccount() {
  const name = `faults-${++accounts}`;
  const { apiKey } = h.emulator.createAccount({ name });
  return { name, apiKey, url: h.emulator.accountUrl(name) };
}

const connect = (account: { url: string }, apiKey: string, extra: Record<string, string> = {}) =>
  submit({ account: account.url, apiKey, ...goodSettings, ...extra });

const stored = async (account: { url: string }) => h.module.store.findByAccount(account.url, 'acme-sync');
const registered = (account: { name: string }) => h.emulator.integrationModules(account.name).find((m) => m.code === 'acme-sync');
const createdRuns = (connectionId: string) => hookCalls.filter((c) => c.connectionId === connectionId && c.created).length;

describe('faults on edit: the store and the CRM agree afterwards', () => {
  before(async () => {
    h = await startHarness({
      hooks: {
        async onConnected({ connection, created }) {
          if (failHooks > 0) {
            failHooks -= 1;
            throw new Error('the module could not set itself up');
          }
          hookCalls.push({ connectionId: connection.id, created });
        },
      },
    });
  });
  after(async () => h.close());
  beforeEach(() => {
    h.emulator.clearFaults();
    failHooks = 0;
  });

  it('a lost answer to the first edit: the kit reads the registration back and completes the connection', async () => {
    const account = newAccount();
    h.emulator.addFault({ account: account.name, path: EDIT, after: true, status: 500, times: 20 });
    const response = await connect(account, account.apiKey);
    assert.equal(response.status, 303, alertText(response.body));
    const connection = await stored(account);
    assert.equal(connection?.state, 'active');
    assert.equal(registered(account)?.clientId, connection?.clientId);
    assert.equal(registered(account)?.active, true);
    assert.equal(createdRuns(connection?.id ?? ''), 1, 'onConnected({ created: true }) ran once');
    h.emulator.clearFaults();
    const again = await connect(account, account.apiKey);
    assert.equal(again.status, 303, alertText(again.body));
    assert.equal(createdRuns(connection?.id ?? ''), 1, 'a re-connect is created: false');
    assert.equal(hookCalls.filter((c) => c.connectionId === connection?.id).length, 2);
  });

  it('a lost answer that cannot be read back: pending; an activity callback does not activate it; the retry runs onConnected({ created: true })', async () => {
    const account = newAccount();
    h.emulator.addFault({ account: account.name, path: EDIT, after: true, reset: true, times: 20 });
    h.emulator.addFault({ account: account.name, method: 'GET', path: READ, status: 503, body: '<html>down</html>', contentType: 'text/html', times: 50 });
    const failed = await connect(account, account.apiKey);
    assert.equal(failed.status, 422);
    assert.match(alertText(failed.body) ?? '', /did not confirm|try again/i);
    const pending = await stored(account);
    assert.equal(pending?.state, 'pending');
    assert.equal(registered(account)?.clientId, pending?.clientId, 'the CRM does hold it: only the answer was lost');
    h.emulator.clearFaults();

    const delivery = await h.emulator.setActivity(account.name, 'acme-sync', { active: true });
    assert.equal(delivery.status, 200);
    assert.equal((await stored(account))?.state, 'pending', 'a callback is no proof that onConnected ran');
    assert.equal(createdRuns(pending?.id ?? ''), 0);

    const retried = await connect(account, account.apiKey);
    assert.equal(retried.status, 303, alertText(retried.body));
    assert.equal((await stored(account))?.state, 'active');
    assert.equal(createdRuns(pending?.id ?? ''), 1, 'created: true once the connection completes');
    await connect(account, account.apiKey);
    assert.equal(createdRuns(pending?.id ?? ''), 1);
  });

  it('onConnected that throws: pending; the next attempt runs it again with created: true; later ones with false', async () => {
    const account = newAccount();
    failHooks = 1;
    const failed = await connect(account, account.apiKey);
    assert.equal(failed.status, 422);
    const connection = await stored(account);
    assert.equal(connection?.state, 'pending');
    await h.emulator.setActivity(account.name, 'acme-sync', { active: true });
    assert.equal((await stored(account))?.state, 'pending');
    assert.equal((await connect(account, account.apiKey)).status, 303);
    assert.equal((await connect(account, account.apiKey)).status, 303);
    assert.deepEqual(
      hookCalls.filter((c) => c.connectionId === connection?.id).map((c) => c.created),
      [true, false],
    );
  });

  it('a failed re-connect keeps the working key and settings, and logs no "reconnected"', async () => {
    const account = newAccount();
    assert.equal((await connect(account, account.apiKey, { currency: 'RUB' })).status, 303);
    const before = await stored(account);
    const { apiKey: newKey } = h.emulator.createApiKey(account.name, { scopes: [...KNOWN_SCOPES] });
    h.emulator.addFault({ account: account.name, path: EDIT, status: 500, times: 20 });
    const failed = await connect(account, newKey, { currency: 'USD', orderPrefix: 'NEW' });
    assert.equal(failed.status, 422);
    const after = await stored(account);
    assert.equal(after?.apiKey, account.apiKey, 'the key the CRM was never sent is not used');
    assert.equal(after?.settings.currency, 'RUB');
    assert.equal(after?.settings.orderPrefix, 'AC');
    assert.equal(after?.state, 'active');
    assert.deepEqual(registered(account)?.integrations, { payment: { currencies: ['RUB'] } }, 'the CRM holds the old registration');
    const events = await h.module.store.listEvents(before?.id ?? '', 10);
    assert.equal(events[0]?.type, 'registration_failed');
    assert.equal(events.filter((e) => e.type === 'reconnected').length, 0);

    h.emulator.clearFaults();
    assert.equal((await connect(account, newKey, { currency: 'USD', orderPrefix: 'NEW' })).status, 303);
    const committed = await stored(account);
    assert.equal(committed?.apiKey, newKey);
    assert.equal(committed?.settings.currency, 'USD');
    assert.deepEqual(registered(account)?.integrations, { payment: { currencies: ['USD'] } });
    assert.equal((await h.module.store.listEvents(before?.id ?? '', 1))[0]?.type, 'reconnected');
  });

  it('a re-connect whose answer was lost is committed once the registration is read back', async () => {
    const account = newAccount();
    assert.equal((await connect(account, account.apiKey, { currency: 'RUB' })).status, 303);
    const { apiKey: newKey } = h.emulator.createApiKey(account.name, { scopes: [...KNOWN_SCOPES] });
    h.emulator.addFault({ account: account.name, path: EDIT, after: true, status: 502, body: '<html>bad gateway</html>', contentType: 'text/html', times: 20 });
    const response = await connect(account, newKey, { currency: 'EUR' });
    assert.equal(response.status, 303, alertText(response.body));
    const committed = await stored(account);
    assert.equal(committed?.apiKey, newKey);
    assert.equal(committed?.settings.currency, 'EUR');
    assert.deepEqual(registered(account)?.integrations, { payment: { currencies: ['EUR'] } });
  });

  it('a re-connect whose answer was lost and cannot be read back keeps the old values until the truth is known', async () => {
    const account = newAccount();
    assert.equal((await connect(account, account.apiKey, { currency: 'RUB' })).status, 303);
    const { apiKey: newKey } = h.emulator.createApiKey(account.name, { scopes: [...KNOWN_SCOPES] });
    h.emulator.addFault({ account: account.name, path: EDIT, after: true, reset: true, times: 20 });
    h.emulator.addFault({ account: account.name, method: 'GET', path: READ, status: 500, times: 50 });
    const failed = await connect(account, newKey, { currency: 'USD' });
    assert.equal(failed.status, 422);
    const unknown = await stored(account);
    assert.equal(unknown?.apiKey, account.apiKey);
    assert.equal(unknown?.settings.currency, 'RUB');
    h.emulator.clearFaults();
    // The registration the CRM holds is the new one; the next look at the connection learns it.
    const { reconcileConnection } = await import('../src/connect/reconcile.js');
    const outcome = await reconcileConnection(h.module.kit, unknown!);
    assert.equal(outcome, 'committed');
    const known = await stored(account);
    assert.equal(known?.apiKey, newKey);
    assert.equal(known?.settings.currency, 'USD');
    assert.equal(known?.staged, null);
  });

  it('the reconciler finishes what a crash between edit and the commit left: committed and completed once, or dropped', async () => {
    const { reconcileStaged } = await import('../src/connect/reconcile.js');
    const { registrationPayload } = await import('../src/connect/registration.js');
    const kit = h.module.kit;
    // A process staged a first connection, its edit reached the CRM, and it died before writing anything else.
    const account = newAccount();
    const { connection } = await kit.store.stageConnect(
      { moduleCode: 'acme-sync', accountUrl: account.url, apiKey: account.apiKey, settings: { siteCode: 'main', syncOrders: true, currency: 'RUB' }, apiVersion: '5.0', scopes: [], newClientId: kit.newClientId() },
      'crashed-stage',
    );
    const crm = kit.openCrm(account.url as never, account.apiKey);
    await crm.editIntegrationModule(registrationPayload(kit.module, { clientId: connection.clientId, settings: connection.staged?.settings ?? {} }, { locale: 'en', active: true }));
    // Another died before its edit left.
    const lost = newAccount();
    const { connection: never } = await kit.store.stageConnect(
      { moduleCode: 'acme-sync', accountUrl: lost.url, apiKey: lost.apiKey, settings: { siteCode: 'main', syncOrders: true, currency: 'RUB' }, apiVersion: '5.0', scopes: [], newClientId: kit.newClientId() },
      'never-sent',
    );
    const counts = await reconcileStaged(kit, { olderThanMs: 0, now: () => new Date(Date.now() + 10) });
    assert.equal(counts.committed, 1);
    assert.equal(counts.dropped, 1);
    const done = await stored(account);
    assert.equal(done?.state, 'active');
    assert.equal(done?.staged, null);
    assert.ok(done?.connectedAt);
    assert.equal(createdRuns(connection.id), 1);
    const dropped = await kit.store.findById(never.id);
    assert.equal(dropped?.state, 'pending');
    assert.equal(dropped?.staged, null);
    assert.equal(registered(lost), undefined);
    assert.deepEqual(await reconcileStaged(kit, { olderThanMs: 0 }), { none: 0, committed: 0, dropped: 0, unknown: 0, superseded: 0 });
  });

  it('a first connection keeps its stage until onConnected returned: a process that died in between is completed by the reconciler', async () => {
    const { commitStage, reconcileStaged } = await import('../src/connect/reconcile.js');
    const { registrationPayload } = await import('../src/connect/registration.js');
    const kit = h.module.kit;
    const account = newAccount();
    const { connection } = await kit.store.stageConnect(
      { moduleCode: 'acme-sync', accountUrl: account.url, apiKey: account.apiKey, settings: { siteCode: 'main', syncOrders: true, currency: 'RUB' }, apiVersion: '5.0', scopes: [], newClientId: kit.newClientId() },
      'dies-before-the-hook',
    );
    const crm = kit.openCrm(account.url as never, account.apiKey);
    await crm.editIntegrationModule(registrationPayload(kit.module, { clientId: connection.clientId, settings: connection.staged?.settings ?? {} }, { locale: 'en', active: true }));
    const committed = await commitStage(kit, connection, 'dies-before-the-hook', { complete: true, activity: undefined, active: true });
    // The process dies here: committed, the hook not run.
    assert.equal(committed.state, 'pending');
    assert.equal(committed.staged?.id, 'dies-before-the-hook', 'the stage says the connection is not complete yet');
    assert.equal(createdRuns(connection.id), 0);
    const counts = await reconcileStaged(kit, { olderThanMs: 0, now: () => new Date(Date.now() + 10) });
    assert.equal(counts.committed, 1);
    const done = await stored(account);
    assert.equal(done?.state, 'active');
    assert.equal(done?.staged, null);
    assert.ok(done?.connectedAt);
    assert.equal(createdRuns(connection.id), 1);
  });

  it('no answer at all to edit (a reset before the CRM saw it) is unconfirmed, not failed: the request may still land', async () => {
    const account = newAccount();
    h.emulator.addFault({ account: account.name, path: EDIT, reset: true, times: 20 });
    const failed = await connect(account, account.apiKey);
    assert.equal(failed.status, 422);
    assert.match(alertText(failed.body) ?? '', /did not confirm/);
    const pending = await stored(account);
    assert.equal(pending?.state, 'pending');
    assert.ok(pending?.staged, 'the stage waits for the truth');
    h.emulator.clearFaults();
    const { reconcileConnection } = await import('../src/connect/reconcile.js');
    assert.equal(await reconcileConnection(h.module.kit, pending!), 'dropped', 'the CRM never got it');
    assert.equal((await stored(account))?.staged, null);
  });
});
