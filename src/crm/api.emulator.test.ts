/**
 * The typed API methods (PROTOCOL-INTEGRATIONS §24) against the emulator, both sides real: for each method a
 * success, a validation error, access denied, and for lists pagination to the end; history from a cursor while
 * orders are being created; and the generic `crm.call`.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { z } from 'zod';
import { startEmulator, type EmulatorHandle } from '../emulator/index.js';
import { successEnvelope } from '../protocol/index.js';
import { createCrmClient } from './client.js';
import { AccessDeniedError, ApiKeyInvalidError, CrmRejectedError, CrmValidationFailedError } from './errors.js';
import { noRetries } from './retry.js';
import { createCrmTransport, type CrmTransport } from './transport.js';
import type { CrmClient } from './types.js';

let emulator: EmulatorHandle;
let transport: CrmTransport;
let name: string;
let crm: CrmClient;
let counter = 0;

before(async () => {
  emulator = await startEmulator({ port: 0, rateLimit: false });
  transport = createCrmTransport({ accountUrlPolicy: { allowLocal: true }, rateLimiter: false });
});
after(async () => {
  await transport.close();
  await emulator.close();
});
beforeEach(() => {
  counter += 1;
  name = `api${counter}`;
  const account = emulator.createAccount({ name });
  crm = createCrmClient({ accountUrl: account.url, apiKey: account.apiKey, transport, retry: noRetries });
});

/** A client whose key has only these scopes. */
function limited(scopes: string[]): CrmClient {
  const { apiKey } = emulator.createApiKey(name, { scopes });
  return createCrmClient({ accountUrl: emulator.accountUrl(name), apiKey, transport, retry: noRetries });
}

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

describe('orders', () => {
  it('create, get by id and externalId, edit, list with a filter', async () => {
    const created = await crm.orders.create({ externalId: 'ext-1', firstName: 'Ana', items: [{ productName: 'Tea', initialPrice: 4.5, quantity: 2 }] });
    assert.ok(created.id > 0);
    assert.equal(created.order?.totalSumm, 9);
    assert.equal((await crm.orders.get('ext-1')).id, created.id);
    assert.equal((await crm.orders.get(created.id, { by: 'id' })).externalId, 'ext-1');
    await crm.orders.edit('ext-1', { status: 'assembling' });
    assert.equal((await crm.orders.get(created.id, { by: 'id' })).status, 'assembling');
    await crm.orders.create({ firstName: 'Other' });
    const filtered = await crm.orders.list({ externalIds: ['ext-1'] });
    assert.deepEqual(filtered.items.map((o) => o.id), [created.id]);
    assert.equal(filtered.pagination.totalCount, 1);
  });

  it('validation errors come back field by field; an unknown order is CrmRejected 404', async () => {
    await assert.rejects(crm.orders.create({ status: 'no-such-status' }), (error: unknown) => {
      assert.ok(error instanceof CrmValidationFailedError);
      assert.equal(error.status, 400);
      assert.ok(error.errors && 'status' in error.errors);
      return true;
    });
    await assert.rejects(crm.orders.create({ email: 'not-an-email' } as never), CrmValidationFailedError);
    await assert.rejects(crm.orders.list({}, { limit: 30 as never }), CrmValidationFailedError);
    await assert.rejects(crm.orders.get('nope'), (error: unknown) => error instanceof CrmRejectedError && error.status === 404);
  });

  it('access denied without order rights', async () => {
    const reader = limited(['reference_read']);
    await assert.rejects(reader.orders.list(), AccessDeniedError);
    await assert.rejects(reader.orders.create({}), AccessDeniedError);
    await assert.rejects(reader.orders.history({}), AccessDeniedError);
    await assert.rejects(limited(['order_read']).orders.create({}), AccessDeniedError);
  });

  it('pages to the end: 45 orders in pages of 20 are 20, 20, 5, each once', async () => {
    emulator.seed(name, { orders: Array.from({ length: 45 }, (_, i) => ({ number: `N${i + 1}` })) });
    const pages = await collect(crm.orders.pages({}, { limit: 20 }));
    assert.deepEqual(pages.map((p) => p.items.length), [20, 20, 5]);
    assert.deepEqual(pages.map((p) => p.pagination.currentPage), [1, 2, 3]);
    const numbers = pages.flatMap((p) => p.items.map((o) => o.number));
    assert.equal(new Set(numbers).size, 45);
    assert.equal(numbers[44], 'N45');
  });

  it('history from a cursor reads every entry once while orders are being created', async () => {
    emulator.seed(name, { orders: Array.from({ length: 30 }, (_, i) => ({ number: `S${i}` })) });
    const first = await crm.orders.history({}, { limit: 100 });
    const start = first.items[9]!.id; // resume after the tenth entry
    const seen: number[] = [];
    let cursor = { sinceId: start };
    let inserted = 0;
    const writer = (async () => {
      for (; inserted < 25; inserted++) {
        emulator.createOrder(name, { number: `C${inserted}` });
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    for await (const batch of crm.orders.historyFrom(cursor, { limit: 20 })) {
      seen.push(...batch.entries.map((entry) => entry.id));
      cursor = batch.cursor;
    }
    await writer;
    // A second run from the saved cursor picks up what arrived after the first ended.
    for await (const batch of crm.orders.historyFrom(cursor, { limit: 20 })) {
      seen.push(...batch.entries.map((entry) => entry.id));
      cursor = batch.cursor;
    }
    const all = (await collect(crm.orders.historyFrom({ sinceId: 0 }, { limit: 100 }))).flatMap((b) => b.entries.map((e) => e.id));
    assert.equal(all.length, 55);
    assert.deepEqual(seen, all.filter((id) => id > start), 'each entry after the cursor once, ascending');
    assert.equal(cursor.sinceId, all.at(-1));
  });

  it('latestHistoryCursor starts after what exists: only orders made later are read', async () => {
    assert.deepEqual(await crm.orders.latestHistoryCursor(), { sinceId: 0 }, 'an empty history');
    emulator.seed(name, { orders: Array.from({ length: 41 }, (_, i) => ({ number: `O${i}` })) });
    const cursor = await crm.orders.latestHistoryCursor();
    emulator.createOrder(name, { number: 'later' });
    const batches = await collect(crm.orders.historyFrom(cursor));
    assert.deepEqual(batches.flatMap((b) => b.entries.map((e) => (e.order as { number?: string }).number)), ['later']);
  });

  it('history marks the caller\'s own changes and refuses a bad sinceId', async () => {
    await crm.orders.create({ number: 'mine' });
    emulator.createOrder(name, { number: 'theirs' });
    const { items } = await crm.orders.history({});
    assert.deepEqual(items.map((e) => [e.created, e.source, e.apiKey?.current]), [[true, 'api', true], [true, 'user', undefined]]);
    assert.equal((items[0]!.order as { number?: string }).number, 'mine', 'a created entry carries the whole order');
    await assert.rejects(crm.orders.history({ sinceId: 'x' }), (error: unknown) => {
      assert.ok(error instanceof CrmValidationFailedError);
      assert.ok(error.errors && 'children[sinceId]' in error.errors);
      return true;
    });
  });
});

describe('customers', () => {
  it('create, get, edit, search', async () => {
    const { id } = await crm.customers.create({ externalId: 'c-1', firstName: 'Bea', email: 'bea@example.com', phones: [{ number: '+34600111222' }] });
    assert.equal((await crm.customers.get('c-1')).id, id);
    await crm.customers.edit(id, { lastName: 'Ruiz' }, { by: 'id' });
    assert.equal((await crm.customers.get(id, { by: 'id' })).lastName, 'Ruiz');
    assert.deepEqual((await crm.customers.list({ name: '600111' })).items.map((c) => c.id), [id]);
  });

  it('validation, access denied, not found, pagination to the end', async () => {
    await assert.rejects(crm.customers.create({ phones: [{ number: '' }] }), CrmValidationFailedError);
    await assert.rejects(crm.customers.create({ customFields: { nope: 1 } }), CrmValidationFailedError);
    await assert.rejects(limited(['order_read']).customers.list(), AccessDeniedError);
    await assert.rejects(crm.customers.get('missing'), (error: unknown) => error instanceof CrmRejectedError && error.status === 404);
    emulator.seed(name, { customers: Array.from({ length: 21 }, (_, i) => ({ firstName: `P${i}` })) });
    const pages = await collect(crm.customers.pages());
    assert.deepEqual(pages.map((p) => p.items.length), [20, 1]);
  });
});

describe('reference lists', () => {
  it('stores as a list, the others keyed by code; seeded lists replace the defaults', async () => {
    assert.ok('main' in (await crm.reference.sites()));
    assert.ok((await crm.reference.stores()).some((s) => s.code === 'warehouse'));
    assert.ok('new' in (await crm.reference.statuses()));
    assert.ok('cash' in (await crm.reference.paymentTypes()));
    assert.ok('courier' in (await crm.reference.deliveryTypes()));
    emulator.seed(name, { orderTypes: [{ code: 'b2b', name: 'Wholesale' }] });
    assert.deepEqual(Object.keys(await crm.reference.orderTypes()), ['b2b']);
    await assert.rejects(crm.orders.create({ orderType: 'eshop-individual' }), CrmValidationFailedError);
  });

  it('access denied without reference_read', async () => {
    const key = limited(['order_read']);
    for (const read of [key.reference.sites, key.reference.stores, key.reference.orderTypes, key.reference.statuses, key.reference.paymentTypes, key.reference.deliveryTypes])
      await assert.rejects(read(), AccessDeniedError);
  });
});

describe('custom fields', () => {
  it('create, get, edit, list; values then accepted on orders', async () => {
    assert.deepEqual(await crm.customFields.create('order', { code: 'gift_wrap', name: 'Gift wrap', type: 'boolean' }), { code: 'gift_wrap' });
    assert.equal((await crm.customFields.get('order', 'gift_wrap')).type, 'boolean');
    await crm.customFields.edit('order', 'gift_wrap', { name: 'Gift wrapping' });
    assert.equal((await crm.customFields.get('order', 'gift_wrap')).name, 'Gift wrapping');
    assert.equal((await crm.customFields.list({ entity: 'order' })).pagination.totalCount, 1);
    const { order } = await crm.orders.create({ customFields: { gift_wrap: true } });
    assert.equal(order?.customFields?.gift_wrap, true);
  });

  it('validation, not found, access denied', async () => {
    await assert.rejects(crm.customFields.create('order', { code: 'Bad Code', name: 'x', type: 'string' }), CrmValidationFailedError);
    await assert.rejects(crm.customFields.create('order', { name: 'no code' }), CrmValidationFailedError);
    await assert.rejects(crm.customFields.create('invoice' as never, { code: 'a', name: 'a', type: 'string' }), CrmValidationFailedError);
    await assert.rejects(crm.customFields.get('order', 'missing'), (error: unknown) => error instanceof CrmRejectedError && error.status === 404);
    await assert.rejects(limited(['order_read']).customFields.list(), AccessDeniedError);
  });
});

describe('notifications, features, settings, crm.call', () => {
  it('a notification lands on the account; a malformed one is refused', async () => {
    await crm.notifications.send({ type: 'api.info', message: '<p>Synced 3 orders</p>', userGroups: ['superadmins'] });
    assert.deepEqual(emulator.notifications(name).map((n) => n.notification.message), ['<p>Synced 3 orders</p>']);
    await assert.rejects(crm.notifications.send({ type: 'api.shout', message: 'x', userGroups: ['superadmins'] } as never), CrmValidationFailedError);
    await assert.rejects(crm.notifications.send({ type: 'api.info', message: 'to nobody' }), CrmValidationFailedError);
  });

  it('features and the account settings', async () => {
    emulator.seed(name, { features: { 'communication.chatbot_feature_1': true } });
    assert.deepEqual(await crm.features.check(['communication.chatbot_feature_1', 'unknown']), {
      'communication.chatbot_feature_1': true,
      unknown: false,
    });
    assert.equal((await crm.systemSettings()).default_currency?.value, 'EUR');
  });

  it('any valid key may send notifications and read features and settings; a revoked one may not', async () => {
    const { apiKey } = emulator.createApiKey(name, { scopes: [] });
    const bare = createCrmClient({ accountUrl: emulator.accountUrl(name), apiKey, transport, retry: noRetries });
    await bare.notifications.send({ type: 'api.info', message: 'hi', userIds: [1] });
    assert.deepEqual(await bare.features.check(['x']), { x: false });
    assert.ok(await bare.systemSettings());
    emulator.revokeApiKey(name, apiKey);
    await assert.rejects(bare.notifications.send({ type: 'api.info', message: 'hi', userIds: [1] }), ApiKeyInvalidError);
    await assert.rejects(bare.features.check(['x']), ApiKeyInvalidError);
    await assert.rejects(bare.systemSettings(), ApiKeyInvalidError);
  });

  it('crm.call reaches any method with the same errors, and only under /api/', async () => {
    const Users = successEnvelope({ orderTypes: z.record(z.string(), z.looseObject({ code: z.string() })) });
    const answer = await crm.call({ method: 'GET', path: '/api/v5/reference/order-types', schema: Users });
    assert.ok('eshop-individual' in answer.orderTypes);
    await assert.rejects(
      limited(['order_read']).call({ method: 'GET', path: '/api/v5/reference/order-types', schema: Users }),
      AccessDeniedError,
    );
    await assert.rejects(
      crm.call({ method: 'POST', path: '/api/v5/orders/create', form: { order: { status: 'bogus' } }, schema: successEnvelope({}) }),
      CrmValidationFailedError,
    );
    await assert.rejects(crm.call({ method: 'GET', path: 'https://evil.example/api/v5/x', schema: Users }), CrmValidationFailedError);
    await assert.rejects(crm.call({ method: 'GET', path: '/api/../admin', schema: Users }), CrmValidationFailedError);
  });
});

describe('encodings the emulator takes', () => {
  it('a multipart POST (older vendor clients) creates an order like a form does', async () => {
    const { callEmulator } = await import('../emulator/http-client.js');
    const account = emulator.createAccount({ name: `mp${counter}` });
    const order = JSON.stringify({ number: 'MP-1', firstName: 'Ana' });
    const text = `--Z\r\nContent-Disposition: form-data; name="order"\r\n\r\n${order}\r\n--Z--\r\n`;
    const reply = await callEmulator(emulator.port, `mp${counter}.localhost:${emulator.port}`, '/api/v5/orders/create', {
      method: 'POST',
      apiKey: account.apiKey,
      headers: { 'content-type': 'multipart/form-data; boundary=Z' },
    });
    assert.equal(reply.status, 400, 'no body: the order field is missing');
    const { request } = await import('undici');
    const response = await request(`http://127.0.0.1:${emulator.port}/api/v5/orders/create`, {
      method: 'POST',
      headers: { host: `mp${counter}.localhost:${emulator.port}`, 'x-api-key': account.apiKey, 'content-type': 'multipart/form-data; boundary=Z' },
      body: text,
    });
    assert.equal(response.statusCode, 201, await response.body.text());
    assert.deepEqual(emulator.orders(`mp${counter}`).map((o) => o.number), ['MP-1']);
  });

  it('custom fields page to the end', async () => {
    emulator.seed(name, { customFields: Array.from({ length: 25 }, (_, i) => ({ entity: 'customer' as const, code: `f${i}`, name: `F${i}`, type: 'string' as const })) });
    const first = await crm.customFields.list({}, { limit: 20 });
    const second = await crm.customFields.list({}, { limit: 20, page: 2 });
    assert.deepEqual([first.items.length, second.items.length, second.pagination.totalPageCount], [20, 5, 2]);
  });
});

describe('what the client logs', () => {
  it('the path of each call, never its query (filters may carry an e-mail or a phone)', async () => {
    const lines: string[] = [];
    const logger = { debug: (o: Record<string, unknown>) => lines.push(JSON.stringify(o)), warn: (o: Record<string, unknown>) => lines.push(JSON.stringify(o)) };
    const logged = createCrmTransport({ accountUrlPolicy: { allowLocal: true }, rateLimiter: false, logger });
    try {
      const client = createCrmClient({ accountUrl: emulator.accountUrl(name), apiKey: emulator.createApiKey(name, { scopes: ['customer_read'] }).apiKey, transport: logged, retry: noRetries });
      await client.customers.list({ email: 'bea@example.com', name: '+34600111222' });
      assert.ok(lines.some((line) => line.includes('/api/v5/customers')), 'the call is logged');
      assert.ok(lines.every((line) => !line.includes('bea') && !line.includes('600111')), lines.join('\n'));
    } finally {
      await logged.close();
    }
  });
});
