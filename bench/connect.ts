/**
 * Full connects against the emulator: the form page (CSRF), the POST, the three CRM calls, the store writes and
 * the redirect, over real HTTP. Baseline in the same run: the same three CRM calls made with bare undici requests
 * (no checks, no store, no form). Rounds alternate; each round connects a fresh batch of accounts. Target: the
 * median of the rounds' kit/bare ratios ≥ 0.3. Also printed, without a target: the kit against the same three calls
 * over a new connection per account, which every first connect to an account pays. Where the rest of a connect's
 * time goes: docs/performance.md.
 *
 *   node --import ./bench/lib/compiled.mjs bench/connect.ts [--per-round 100] [--rounds 7] [--concurrency 8]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Pool, request } from 'undici';
import { defineModule } from '../src/connect/module-definition.js';
import { startEmulator } from '../src/emulator/index.js';
import { startModule } from '../src/host/start-module.js';
import { generateKeyEntry } from '../src/store/keyring.js';
import { openConnectionStore } from '../src/store/open-connection-store.js';
import { FormClient, inputValue } from '../test/helpers/form-client.js';
import { freePort } from '../test/helpers/ports.js';
import { startBareConnect } from './lib/bare-connect.js';
import { profiled } from './lib/profile-window.js';
import { alternate, BenchReport, ratios } from './lib/report.js';

const { values } = parseArgs({
  options: { 'per-round': { type: 'string', default: '100' }, rounds: { type: 'string', default: '7' }, concurrency: { type: 'string', default: '8' } },
});
const perRound = Number(values['per-round']);
const rounds = Number(values.rounds);
const concurrency = Number(values.concurrency);
const report = new BenchReport('connect');

const emulator = await startEmulator({ port: 0, rateLimit: false });
// A fresh account for every connect of either side, made as needed (rounds dropped for steal are run again).
type Account = ReturnType<typeof emulator.createAccount>;
let nextAccount = 0;
const batch = () => Array.from({ length: perRound }, () => emulator.createAccount({ name: `shop${nextAccount++}` }));
const dir = mkdtempSync(join(tmpdir(), 'rcmk-bench-connect-'));
const store = await openConnectionStore({ databaseUrl: join(dir, 'module.sqlite'), keyring: generateKeyEntry('bench') });
const port = await freePort();
const module = await startModule({
  module: defineModule({ integrationCode: 'bench', name: 'Bench', logo: 'https://bench.example/logo.svg', baseUrl: `http://127.0.0.1:${port}` }),
  port,
  store,
  cookieSecret: 'bench-cookie-secret-bench-cookie-secret',
  accountUrlPolicy: { allowLocal: true },
  // One client connecting hundreds of accounts a second is what the throttle exists to stop; not measured here.
  throttle: { perClient: false, perAccount: false },
  logger: false,
});

const floor = await startBareConnect(dir, emulator.port, module.url);

/** Runs `work` over `items` with `concurrency` workers; items per second. */
async function rate<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
  return items.length / ((performance.now() - started) / 1000);
}

const formConnect = (url: string) => async (account: Account) => {
  const client = new FormClient();
  const page = await client.get(`${url}/connect?account=${encodeURIComponent(account.url)}`);
  const done = await client.post(`${url}/connect`, { account: account.url, apiKey: account.apiKey, _csrf: inputValue(page.body, '_csrf') ?? '' });
  if (done.status !== 303) throw new Error(`connect at ${url} failed with ${done.status}`);
};
const kitConnect = formConnect(module.url);

// The baseline: the same three calls to the same emulator, with nothing around them, over undici's global pool
// (kept-alive connections shared by every account). `fresh` makes them over a new connection per account, as a
// client's first calls to a new account are: what a connect cannot avoid.
const call = async (host: string, apiKey: string, path: string, body?: string, via?: Pool) => {
  const options = {
    method: body ? ('POST' as const) : ('GET' as const),
    headers: { host, 'x-api-key': apiKey, ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
    body,
  };
  const response = via ? await via.request({ ...options, path }) : await request(`http://127.0.0.1:${emulator.port}${path}`, options);
  await response.body.text();
  if (response.statusCode >= 300) throw new Error(`bare ${path} answered ${response.statusCode}`);
};
const bareSequence = async (account: Account, via?: Pool) => {
  const host = new URL(account.url).host;
  await call(host, account.apiKey, '/api/api-versions', undefined, via);
  await call(host, account.apiKey, '/api/credentials', undefined, via);
  const payload = { code: 'bench', integrationCode: 'bench', active: true, name: 'Bench', clientId: `c-${account.name}`, baseUrl: module.url, actions: { activity: '/activity' }, accountUrl: `${module.url}/settings` };
  await call(host, account.apiKey, '/api/v5/integration-modules/bench/edit', new URLSearchParams({ integrationModule: JSON.stringify(payload) }).toString(), via);
};
const freshSequence = async (account: Account) => {
  const pool = new Pool(`http://127.0.0.1:${emulator.port}`, { connections: 1 });
  try {
    await bareSequence(account, pool);
  } finally {
    await pool.close();
  }
};

console.log(`full connects against the emulator: ${perRound} accounts a round, concurrency ${concurrency}, ${rounds} rounds each, alternating`);
const measured = await alternate(rounds, {
  kit: () => profiled('connect-kit', () => rate(batch(), kitConnect)),
  bare: () => rate(batch(), (account) => bareSequence(account)),
  fresh: () => profiled('connect-fresh', () => rate(batch(), freshSequence)),
  floor: () => profiled('connect-floor', () => rate(batch(), formConnect(floor.url))),
});
report.figure('kit connect (form + checks + store + registration)', measured.kit, { unit: 'connects/s' });
report.figure('bare three CRM calls', measured.bare, { unit: 'sequences/s' });
report.figure('bare three CRM calls, a new connection each account', measured.fresh, { unit: 'sequences/s' });
report.figure('connect / bare three calls', ratios(measured.kit, measured.bare), { target: { op: '>=', value: 0.3 } });
report.figure('bare connect (form, CSRF, three calls on a new connection, a sealed row)', measured.floor, { unit: 'connects/s' });
report.figure('connect / bare three calls on a new connection', ratios(measured.kit, measured.fresh));
report.figure('connect / bare connect (what the kit adds to the least a connect does)', ratios(measured.kit, measured.floor));
report.figure('bare connect / bare three calls (the most the target can reach)', ratios(measured.floor, measured.bare));
// Every kit round, the warm-up and the dropped ones included, connected perRound accounts.
const kitConnects = perRound * (1 + measured.kit.length + measured.dropped);
const stored = (await store.list({ limit: nextAccount + 1 })).filter((c) => c.state === 'active').length;
report.check('every kit connect stored an active connection', stored === kitConnects, `${stored} of ${kitConnects}`);
const floorConnects = perRound * (1 + measured.floor.length + measured.dropped);
report.check('every bare connect stored its row', floor.rows() === floorConnects, `${floor.rows()} of ${floorConnects}`);

await module.close();
await floor.close();
await store.close();
await emulator.close();
rmSync(dir, { recursive: true, force: true });
report.finish();
