import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, ErrorCode } from '../errors.js';
import { simpleConnectionToken } from '../protocol/index.js';
import { generateKeyEntry } from '../store/keyring.js';
import type { KyselyConnectionStore } from '../store/kysely-connection-store.js';
import { openConnectionStore } from '../store/open-connection-store.js';
import type { ConnectionStore } from '../store/types.js';
import { createConnectKit } from './create-connect-kit.js';
import { defineModule } from './module-definition.js';
import { deriveKey, issueLoginTicket } from './login-ticket.js';
import { createSimpleConnection } from './simple-connection.js';

const module = defineModule({
  integrationCode: 'acme',
  name: 'Acme',
  logo: 'https://acme.example/logo.svg',
  baseUrl: 'https://acme.example/app',
  scopes: ['order_read'],
  simpleConnection: { secret: 'partner-secret' },
});
const form = (register: unknown) => ({ register: typeof register === 'string' ? register : JSON.stringify(register) });
const apiKey = 'ffqfNWKTDvdaqwcPgQhhHEEutO81Qbff';

describe('simple connection (module side, no HTTP)', () => {
  let dir: string;
  let storeA: KyselyConnectionStore;
  let storeB: KyselyConnectionStore;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rcmk-simple-'));
    const file = join(dir, 'module.sqlite');
    // Two stores on one database: two instances of the module.
    const keyring = generateKeyEntry('a');
    storeA = await openConnectionStore({ databaseUrl: file, keyring });
    storeB = await openConnectionStore({ databaseUrl: file, keyring });
  });
  after(async () => {
    await storeA.close();
    await storeB.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('PROTOCOL §13.4 test vectors', () => {
    assert.equal(simpleConnectionToken('secret', 'key'), '96de09a0f8699191b28587118ac57df88bbf6c2d0c131d196dcd90f7efd68c93');
    assert.equal(simpleConnectionToken('partner-secret', apiKey), 'a75bf8835bbd3a7ba14485c644f610d0102676c0b0970be734be27d48c8c35da');
  });

  it('config: the module scopes and the register URL under baseUrl', () => {
    const simple = createSimpleConnection(createConnectKit({ module, store: storeA }));
    assert.deepEqual(simple.config(), {
      success: true,
      scopes: ['integration_read', 'integration_write', 'order_read'],
      registerUrl: 'https://acme.example/app/simple-connection/register',
    });
  });

  it('refuses malformed requests with 400 and a wrong token with 401, writing nothing', async () => {
    const simple = createSimpleConnection(createConnectKit({ module, store: storeA }));
    for (const bad of [{}, { register: 'not json' }, form({ systemUrl: 'https://x.retailcrm.ru' }), form({ systemUrl: '', apiKey, token: 't' })]) {
      const outcome = await simple.register(bad);
      assert.equal(outcome.status, 400);
      assert.equal(!outcome.ok && outcome.code, ErrorCode.FormInvalid);
    }
    const tokenFor = (secret: string) => simpleConnectionToken(secret, apiKey);
    for (const token of [tokenFor('secret'), tokenFor('partner-secret').toUpperCase(), tokenFor('partner-secret').slice(1), 'x']) {
      const outcome = await simple.register(form({ systemUrl: 'https://demo.retailcrm.ru/', apiKey, token }));
      assert.deepEqual(outcome, { ok: false, status: 401, code: ErrorCode.TokenInvalid, body: { success: false, errorMsg: 'Invalid token' } });
    }
    assert.deepEqual(await storeA.list(), []);
  });

  it('refuses a replay, also when it reaches another instance sharing the store', async () => {
    const first = createSimpleConnection(createConnectKit({ module, store: storeA }));
    const second = createSimpleConnection(createConnectKit({ module, store: storeB }));
    const key = `KEY${Date.now()}`;
    // A host the URL policy refuses: the request is verified and claimed, then refused (no network needed here).
    const request = form({ systemUrl: 'https://evil.example/', apiKey: key, token: simpleConnectionToken('partner-secret', key) });
    const once = await first.register(request);
    assert.equal(once.status, 400);
    assert.equal(!once.ok && once.code, ErrorCode.AccountUrlNotAllowed);
    for (const instance of [first, second]) {
      const again = await instance.register(request);
      assert.equal(again.status, 400);
      assert.equal(!again.ok && again.code, ErrorCode.RequestReplayed);
      assert.match(!again.ok ? again.body.errorMsg : '', /already used/);
    }
  });

  it('stores the claim as a keyed hash: neither the key nor the token is in the database', async () => {
    const key = `PLAIN${Date.now()}KEY`;
    const token = simpleConnectionToken('partner-secret', key);
    await createSimpleConnection(createConnectKit({ module, store: storeA })).register(form({ systemUrl: 'https://evil.example/', apiKey: key, token }));
    const rows = await storeA.db.selectFrom('rcmk_claims').selectAll().execute();
    const dump = JSON.stringify(rows);
    assert.ok(rows.length > 0);
    assert.doesNotMatch(dump, new RegExp(key));
    assert.doesNotMatch(dump, new RegExp(token));
  });

  it('a login ticket is single-use, bound to its connection, and refused once expired', async () => {
    // The real clock: the store prunes expired claims by its own clock.
    let now = new Date();
    const kit = createConnectKit({ module, store: storeA });
    const simple = createSimpleConnection(kit, { now: () => now });
    const { connection } = await storeA.saveConnect({
      moduleCode: 'acme', accountUrl: 'https://t1.retailcrm.ru', apiKey: 'k', settings: {}, apiVersion: '5.0', scopes: [], newClientId: `c${Date.now()}`,
    });
    // Tickets from the register endpoint are covered in test/simple-connection.test.ts; here, the same issuer.
    const ticket = issueLoginTicket(deriveKey('partner-secret', 'login-ticket'), connection.id, now);
    const other = createSimpleConnection(createConnectKit({ module, store: storeB }), { now: () => now });
    assert.equal((await simple.redeemTicket(ticket)).ok, true);
    assert.deepEqual(await other.redeemTicket(ticket), { ok: false, reason: 'replayed' }, 'single use across instances');
    const late = issueLoginTicket(deriveKey('partner-secret', 'login-ticket'), connection.id, now);
    now = new Date(now.getTime() + 10 * 60 * 1000);
    assert.deepEqual(await simple.redeemTicket(late), { ok: false, reason: 'expired' });
    const gone = issueLoginTicket(deriveKey('partner-secret', 'login-ticket'), 'no-such-connection', now);
    assert.deepEqual(await simple.redeemTicket(gone), { ok: false, reason: 'unknown' });
  });

  it('refuses to start without a secret, or with a store that cannot claim once', () => {
    const noClaims: ConnectionStore = { ...Object.fromEntries(['findByClientId', 'findById', 'findByAccount', 'saveConnect', 'update', 'appendEvent', 'listEvents', 'list', 'ping', 'close'].map((m) => [m, async () => undefined])) } as unknown as ConnectionStore;
    assert.throws(() => createSimpleConnection(createConnectKit({ module, store: noClaims })), (e) => e instanceof ConfigError && /claimOnce/.test(e.message));
    const plain = defineModule({ integrationCode: 'acme', name: 'Acme', logo: 'https://acme.example/logo.svg', baseUrl: 'https://acme.example' });
    assert.throws(() => createSimpleConnection(createConnectKit({ module: plain, store: storeA })), /simpleConnection\.secret/);
    assert.throws(
      () => defineModule({ integrationCode: 'acme', name: 'Acme', logo: 'https://acme.example/logo.svg', baseUrl: 'https://acme.example', simpleConnection: { secret: ' ' } }),
      /simpleConnection\.secret must be the non-empty Secret/,
    );
  });
});
