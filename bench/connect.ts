/**
 * Full connects per second against the emulator: the form page (CSRF), the POST, the three CRM calls,
 * the store writes and the redirect, over real HTTP. Baseline in the same run: the same three CRM calls made
 * with bare undici requests (no checks, no store, no form), so the ratio shows what the kit adds.
 *
 *   npx tsx bench/connect.ts [--connects 300] [--concurrency 8]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { defineModule } from '../src/connect/module-definition.js';
import { startEmulator } from '../src/emulator/index.js';
import { startModule } from '../src/host/start-module.js';
import { generateKeyEntry } from '../src/store/keyring.js';
import { openConnectionStore } from '../src/store/open-connection-store.js';
import { FormClient, inputValue } from '../test/helpers/form-client.js';
import { freePort } from '../test/helpers/ports.js';
import { fmt } from './lib/load.js';

const { values } = parseArgs({ options: { connects: { type: 'string', default: '300' }, concurrency: { type: 'string', default: '8' } } });
const total = Number(values.connects);
const concurrency = Number(values.concurrency);

const emulator = await startEmulator({ port: 0, rateLimit: false });
const accounts = Array.from({ length: total * 2 }, (_, i) => emulator.createAccount({ name: `shop${i}` }));
const dir = mkdtempSync(join(tmpdir(), 'rcmk-bench-connect-'));
const store = await openConnectionStore({ databaseUrl: join(dir, 'module.sqlite'), keyring: generateKeyEntry('bench') });
const port = await freePort();
const module = await startModule({
  module: defineModule({ integrationCode: 'bench', name: 'Bench', logo: 'https://bench.example/logo.svg', baseUrl: `http://127.0.0.1:${port}` }),
  port,
  store,
  cookieSecret: 'bench-cookie-secret-bench-cookie-secret',
  accountUrlPolicy: { allowLocal: true },
  logger: false,
});

async function pool<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
  return (performance.now() - started) / 1000;
}

const kitAccounts = accounts.slice(0, total);
const kitSeconds = await pool(kitAccounts, async (account) => {
  const client = new FormClient();
  const page = await client.get(`${module.url}/connect?account=${encodeURIComponent(account.url)}`);
  const done = await client.post(`${module.url}/connect`, { account: account.url, apiKey: account.apiKey, _csrf: inputValue(page.body, '_csrf') ?? '' });
  if (done.status !== 303) throw new Error(`connect failed with ${done.status}`);
});

// The baseline: the same three calls to the same emulator, with nothing around them.
const port0 = emulator.port;
const call = async (host: string, apiKey: string, path: string, body?: string) => {
  const response = await request(`http://127.0.0.1:${port0}${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { host, 'x-api-key': apiKey, ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
    body,
  });
  await response.body.text();
};
const bareAccounts = accounts.slice(total);
const bareSeconds = await pool(bareAccounts, async (account) => {
  const host = new URL(account.url).host;
  await call(host, account.apiKey, '/api/api-versions');
  await call(host, account.apiKey, '/api/credentials');
  const payload = { code: 'bench', integrationCode: 'bench', active: true, name: 'Bench', clientId: `c-${account.name}`, baseUrl: module.url, actions: { activity: '/activity' }, accountUrl: `${module.url}/settings` };
  await call(host, account.apiKey, '/api/v5/integration-modules/bench/edit', new URLSearchParams({ integrationModule: JSON.stringify(payload) }).toString());
});

const kitRate = total / kitSeconds;
const bareRate = total / bareSeconds;
console.log(`full connects against the emulator: ${total} accounts, concurrency ${concurrency}`);
console.log(`  kit (form + checks + store + registration)  ${fmt(kitRate, 1).padStart(8)} connects/s`);
console.log(`  bare (the three CRM calls only)             ${fmt(bareRate, 1).padStart(8)} sequences/s`);
console.log(`  ratio kit / bare: ${fmt(kitRate / bareRate, 2)}`);
const stored = (await store.list({ limit: total + 1 })).filter((c) => c.state === 'active').length;
console.log(`  active connections stored: ${stored} of ${total}`);

await module.close();
await store.close();
await emulator.close();
rmSync(dir, { recursive: true, force: true });
