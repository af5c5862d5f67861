/**
 * Fleet operations against the emulator with a real store: connections made by the real connect flow (which
 * records their payload hash), then a changed module re-registered — canary, batches, resume after an
 * interruption, a failure report — and health read back: removed, key revoked, degraded with one notification
 * per episode.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connectAccount } from '../connect/connect-account.js';
import { createConnectKit, type ComposedConnectKit } from '../connect/create-connect-kit.js';
import { defineModule, type AnyModuleDefinition } from '../connect/module-definition.js';
import { createMemoryRateLimiter } from '../crm/rate-limiter.js';
import { noRetries } from '../crm/retry.js';
import { createCrmTransport } from '../crm/transport.js';
import { startEmulator, type EmulatorHandle } from '../emulator/index.js';
import { ApiPath } from '../protocol/index.js';
import { generateKeyEntry } from '../store/keyring.js';
import type { KyselyConnectionStore } from '../store/kysely-connection-store.js';
import { openConnectionStore } from '../store/open-connection-store.js';
import type { Connection } from '../store/types.js';
import { FleetStore } from './fleet-store.js';
import { checkFleetHealth } from './health.js';
import { NOTIFICATIONS_SEND_PATH, transportNotifier, type AdminNotification } from './notify.js';
import { interleaveByAccount, planReregistration, reregisterFleet } from './reregister.js';
import { withRegistrationTracking } from './tracking.js';

const temp = mkdtempSync(join(tmpdir(), 'rcmk-fleet-'));
let emulator: EmulatorHandle;
const transport = createCrmTransport({ accountUrlPolicy: { allowLocal: true }, rateLimiter: createMemoryRateLimiter() });
let seq = 0;

before(async () => {
  emulator = await startEmulator({ port: 0 });
});
after(async () => {
  await transport.close();
  await emulator.close();
});

const moduleAt = (baseUrl: string) =>
  defineModule({ integrationCode: 'fleet-test', name: { en: 'Fleet test', ru: 'Тест флота' }, logo: 'https://m.example/logo.svg', baseUrl });

interface World {
  store: KyselyConnectionStore;
  kitFor(module: AnyModuleDefinition): ComposedConnectKit;
  accounts: { name: string; url: string; apiKey: string }[];
  connections: Connection[];
}

async function world(count: number): Promise<World> {
  seq += 1;
  const store = await openConnectionStore({ keyring: generateKeyEntry('a'), databaseUrl: `sqlite:${join(temp, `f${seq}.sqlite`)}` });
  const kitFor = (module: AnyModuleDefinition) =>
    createConnectKit({ module: withRegistrationTracking(module, store.db), store, transport, retry: noRetries });
  const v1 = kitFor(moduleAt('https://v1.example'));
  const accounts = [];
  const connections = [];
  for (let i = 0; i < count; i += 1) {
    const account = emulator.createAccount({ name: `fleet${seq}n${i}` });
    accounts.push({ ...account, name: account.name.toLowerCase() });
    const result = await connectAccount(v1, { account: account.url, apiKey: account.apiKey, settings: {}, locale: 'en' });
    assert.ok(result.ok, JSON.stringify(!result.ok && result.failure));
    connections.push(result.connection);
  }
  return { store, kitFor, accounts, connections };
}

const editsOf = (account: string) => emulator.requests(account).filter((r) => r.method === 'POST' && r.path.endsWith('/edit') && r.status >= 200 && r.status < 300);

describe('fleet reregister', () => {
  it('connecting records the hash; a changed payload is re-registered: canary, batches, report', async () => {
    const w = await world(6);
    const v1 = w.kitFor(moduleAt('https://v1.example'));
    assert.equal((await planReregistration(v1, new FleetStore(w.store.db))).pending.length, 0, 'just connected: up to date');
    const v2 = w.kitFor(moduleAt('https://v2.example'));
    const plan = await planReregistration(v2, new FleetStore(w.store.db));
    assert.equal(plan.pending.length, 6);

    // The canary is refused by its CRM: nothing else is sent.
    const canaryAccount = w.accounts.find((a) => a.url === plan.pending[0]!.accountUrl)!;
    emulator.addFault({ account: canaryAccount.name, path: '/api/v5/integration-modules/*', method: 'POST', status: 400, body: { success: false, errorMsg: 'Invalid baseUrl' }, times: 1 });
    const halted = await reregisterFleet({ kit: v2, db: w.store.db, batchSize: 2, concurrency: 2 });
    assert.equal(halted.status, 'halted');
    assert.match(halted.reason ?? '', /canary/);
    assert.equal(halted.done, 0);
    assert.equal(halted.failures.length, 1);
    assert.match(halted.failures[0]!.error, /RCMK_CRM_VALIDATION_FAILED|Invalid baseUrl/);

    // One account's key is revoked: the run completes the others and reports that one with its reason.
    const revoked = w.accounts[3]!;
    emulator.revokeApiKey(revoked.name, revoked.apiKey);
    const progress: number[] = [];
    const report = await reregisterFleet({ kit: v2, db: w.store.db, batchSize: 2, concurrency: 2, onProgress: (p) => progress.push(p.done + p.failed) });
    assert.equal(report.status, 'done');
    assert.equal(report.done, 5);
    assert.deepEqual(report.failures.map((f) => f.accountUrl), [revoked.url]);
    assert.match(report.failures[0]!.error, /^RCMK_API_KEY_INVALID/);
    assert.ok(!report.failures[0]!.error.includes(revoked.apiKey));
    assert.deepEqual(progress, [1, 2, 3, 4, 5, 6]);
    for (const account of w.accounts.filter((a) => a !== revoked)) {
      const [registered] = emulator.integrationModules(account.name);
      assert.equal(registered?.baseUrl, 'https://v2.example', account.name);
    }
    // What is left is only the revoked one.
    assert.deepEqual((await planReregistration(v2, new FleetStore(w.store.db))).pending.map((c) => c.accountUrl), [revoked.url]);
    await w.store.close();
  });

  it('an interrupted run resumes with what is left, sending nothing twice but what was in flight', async () => {
    const w = await world(8);
    const v2 = w.kitFor(moduleAt('https://v2.example'));
    const stop = new AbortController();
    const first = await reregisterFleet({
      kit: v2, db: w.store.db, canary: 1, batchSize: 2, concurrency: 1, signal: stop.signal,
      onProgress: (p) => { if (p.done === 3) stop.abort(); },
    });
    assert.equal(first.status, 'interrupted');
    assert.equal(first.done, 3);
    const second = await reregisterFleet({ kit: v2, db: w.store.db, batchSize: 2, concurrency: 2 });
    assert.equal(second.resumed, true);
    assert.equal(second.runId, first.runId);
    assert.equal(second.status, 'done');
    assert.equal(second.done, 8);
    // Each account: one registration at connect, one re-registration (concurrency 1 left nothing in flight).
    for (const account of w.accounts) assert.equal(editsOf(account.name).length, 2, account.name);
    await w.store.close();
  });

  it('interleaves accounts so consecutive registrations use different budgets', () => {
    const items = ['a', 'a', 'a', 'b', 'c', 'c'].map((accountUrl, i) => ({ accountUrl, i }));
    assert.deepEqual(interleaveByAccount(items).map((x) => x.accountUrl).join(''), 'abcaca');
  });
});

describe('fleet health', () => {
  it('marks removed and key_revoked, and notifies once per degraded episode', async () => {
    const w = await world(3);
    const kit = w.kitFor(moduleAt('https://v1.example'));
    const sent: { connectionId: string; notification: AdminNotification }[] = [];
    const notify = async (connection: Connection, notification: AdminNotification) => void sent.push({ connectionId: connection.id, notification });
    const check = () => checkFleetHealth({ kit, db: w.store.db, notify });
    const fleet = new FleetStore(w.store.db);
    const [switchedOff, revoked, flaky] = w.accounts as [World['accounts'][0], World['accounts'][0], World['accounts'][0]];
    const idOf = (a: { url: string }) => w.connections.find((c) => c.accountUrl === a.url)!.id;

    await emulator.setActivity(switchedOff.name, kit.module.code, { active: false }).catch(() => undefined);
    emulator.revokeApiKey(revoked.name, revoked.apiKey);
    emulator.addFault({ account: flaky.name, path: `${ApiPath.integrationModule(kit.module.code)}`, status: 502, body: 'bad gateway', contentType: 'text/html' });

    for (let i = 0; i < 5; i += 1) await check();
    assert.equal((await fleet.get(idOf(switchedOff)))?.health, 'removed');
    assert.equal((await fleet.get(idOf(revoked)))?.health, 'key_revoked');
    assert.equal((await fleet.get(idOf(flaky)))?.health, 'degraded');
    assert.equal(sent.length, 1, 'one notification for the episode, however many checks');
    assert.equal(sent[0]!.connectionId, idOf(flaky));
    assert.equal(sent[0]!.notification.type, 'api.error');
    assert.match(sent[0]!.notification.message, /Fleet test.*100%/);

    // The outage ends: enough answers bring the rate under the threshold and end the episode…
    emulator.clearFaults();
    for (let i = 0; i < 5; i += 1) await check();
    assert.equal((await fleet.get(idOf(flaky)))?.health, 'ok');
    // …and a new outage is a new episode, notified again.
    emulator.addFault({ account: flaky.name, path: `${ApiPath.integrationModule(kit.module.code)}`, status: 502, body: 'bad gateway', contentType: 'text/html' });
    for (let i = 0; i < 8; i += 1) await check();
    assert.equal(sent.length, 2);
    emulator.clearFaults();
    await w.store.close();
  });

  it('the notifier posts to notifications/send with the JSON form field', async () => {
    const w = await world(1);
    const account = w.accounts[0]!;
    emulator.addFault({ account: account.name, path: NOTIFICATIONS_SEND_PATH, status: 200, body: { success: true }, times: 1 });
    await transportNotifier(transport)(w.connections[0]!, { type: 'api.error', message: 'hello' });
    assert.equal(emulator.requests(account.name).filter((r) => r.path === NOTIFICATIONS_SEND_PATH).length, 1);
    // An answer without success is a failure the caller hears about.
    emulator.addFault({ account: account.name, path: NOTIFICATIONS_SEND_PATH, status: 404, body: { success: false, errorMsg: 'API method not found' }, times: 1 });
    await assert.rejects(transportNotifier(transport)(w.connections[0]!, { type: 'api.info', message: 'x' }), /HTTP 404/);
    await w.store.close();
  });
});

describe('offered at start', () => {
  it('an instance whose payload differs from what connections were registered with says so, naming the command', async () => {
    const { startModule } = await import('../host/start-module.js');
    const { PassThrough } = await import('node:stream');
    const w = await world(2);
    const lines: string[] = [];
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
    const start = (baseUrl: string) =>
      startModule({ module: moduleAt(baseUrl), store: w.store, cookieSecret: 'x'.repeat(32), transport, logger: { level: 'warn', stream } });
    const same = await start('https://v1.example');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await same.close();
    assert.equal(lines.filter((l) => l.includes('fleet reregister')).length, 0, 'up to date: nothing offered');
    const changed = await start('https://v2.example');
    for (let i = 0; i < 100 && !lines.some((l) => l.includes('fleet reregister')); i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
    await changed.close();
    const offer = lines.map((l) => JSON.parse(l) as { outdated?: number; msg: string }).find((l) => l.msg.includes('fleet reregister'));
    assert.equal(offer?.outdated, 2);
    await w.store.close();
  });
});

describe('registration tracking', () => {
  it('never fails a connect, even when its bookkeeping cannot be written', async () => {
    const w = await world(0);
    await w.store.db.schema.dropTable('rcmk_fleet_connection').execute();
    const account = emulator.createAccount({ name: `track${seq}` });
    const result = await connectAccount(w.kitFor(moduleAt('https://v1.example')), { account: account.url, apiKey: account.apiKey, settings: {}, locale: 'en' });
    assert.ok(result.ok);
    assert.equal(result.connection.state, 'active');
    await w.store.close();
  });

  it('guesses the administrators’ language from the account domain', async () => {
    const { localeOfAccount } = await import('./messages.js');
    assert.deepEqual(['https://a.retailcrm.ru', 'https://a.simla.com', 'https://a.retailcrm.es', 'https://crm.shop.kz'].map(localeOfAccount), ['ru', 'en', 'es', 'ru']);
  });
});
