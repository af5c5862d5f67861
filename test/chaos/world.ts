/**
 * The chaos harness (issue 14, item 8), shared by `test/chaos/*.test.ts` (short runs in `npm test`) and
 * `bench/chaos.ts` (long runs that print figures). It drives real connects against the emulator with faults on
 * every CRM call, a module process SIGKILLed at random points and started again on the same store, concurrent
 * connects of one account, activity callbacks out of order with duplicates, and fast-check fuzzing of every
 * public endpoint, and checks after each step what issue 14 asks:
 *
 * - **half-written**: a connection whose live state contradicts the CRM with nothing left to settle it: the CRM
 *   holds a clientId the store does not know; the store says completed and the CRM does not hold what it claims;
 *   the live key or settings are ones the CRM was never sent (a failed re-connect); the CRM holds a pending
 *   connection's registration while the store keeps no stage that would settle it;
 * - **store≠CRM**: after the person's retry (or at the end), a connection and its registration disagree (state,
 *   key, settings in the registration, `active`), or a stage is left behind;
 * - **duplicates**: more than one connection per account; `onConnected({ created: true })` more than once for a
 *   connection is counted apart (`createdTwice`): it is at-least-once across a SIGKILL between the hook and the
 *   write that records it (docs/connect-flow.md);
 * - **retries**: every failed attempt is retried without faults, as a person would, and must succeed;
 * - **5xx / crashes**: the fuzzer's answers ≥ 500, and the module process exiting.
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as tcp } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { request } from 'undici';
import { connectAccount, type ConnectResult } from '../../src/connect/connect-account.js';
import type { ConnectKit } from '../../src/connect/kit.js';
import { createCrmTransport } from '../../src/crm/transport.js';
import { startEmulator, type EmulatorHandle, type FaultInput } from '../../src/emulator/index.js';
import { startModule, type RunningModule } from '../../src/host/start-module.js';
import { KNOWN_SCOPES, simpleConnectionToken } from '../../src/protocol/index.js';
import { generateKeyEntry } from '../../src/store/keyring.js';
import { openConnectionStore } from '../../src/store/open-connection-store.js';
import type { Connection, ConnectionStore } from '../../src/store/types.js';
import { FormClient, inputValue } from '../helpers/form-client.js';
import { freePort } from '../helpers/ports.js';
import {
  CHAOS_CODE,
  CHAOS_DELAY_MS,
  CHAOS_REQUEST_TIMEOUT_MS,
  CHAOS_SECRET,
  chaosModule,
  chaosRetry,
  CURRENCIES,
  type Currency,
  type HookCall,
} from './chaos-module.js';
import type { ChildConfig } from './module-child.js';

// ── randomness ─────────────────────────────────────────────────────────────────────────────────────────────

/** A seeded generator (mulberry32), so a run can be repeated from its printed seed. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ── tallies ────────────────────────────────────────────────────────────────────────────────────────────────

export interface Tally {
  attempts: number;
  /** Attempts that the person saw fail (any reason). */
  failed: number;
  /** Of those, the ones whose outcome the kit could not learn (`RCMK_REGISTRATION_UNCONFIRMED`). */
  unconfirmed: number;
  halfWritten: number;
  storeNotCrm: number;
  duplicates: number;
  createdTwice: number;
  retries: number;
  retriesFailed: number;
  /** The first problems seen, for the report. */
  readonly problems: string[];
}

export function newTally(): Tally {
  return { attempts: 0, failed: 0, unconfirmed: 0, halfWritten: 0, storeNotCrm: 0, duplicates: 0, createdTwice: 0, retries: 0, retriesFailed: 0, problems: [] };
}

function note(tally: Tally, kind: 'halfWritten' | 'storeNotCrm' | 'duplicates' | 'createdTwice' | 'retriesFailed', problem: string): void {
  tally[kind] += 1;
  if (tally.problems.length < 20) tally.problems.push(`${kind}: ${problem}`);
}

// ── what the runs know about an account ──────────────────────────────────────────────────────────────────

export interface AccountRecord {
  readonly name: string;
  readonly url: string;
  /** What the CRM last accepted for it, as far as the run knows (after a success). */
  committed?: { readonly apiKey: string; readonly currency: Currency; readonly clientId: string };
}

/** What the checks read: the store, the emulator, and how often `onConnected({ created: true })` ran. */
export interface Observed {
  readonly store: ConnectionStore;
  readonly emulator: EmulatorHandle;
  createdRuns(connectionId: string): number;
}

function registrationOf(emulator: EmulatorHandle, name: string) {
  return emulator.integrationModules(name).find((m) => m.code === CHAOS_CODE);
}

function currencyOf(registration: { integrations?: Record<string, unknown> } | undefined): unknown {
  return (registration?.integrations?.payment as { currencies?: unknown[] } | undefined)?.currencies?.[0];
}

/** Checks an account after an attempt the person saw succeed: the store and the CRM agree on it. */
export async function checkCompleted(observed: Observed, tally: Tally, account: AccountRecord, submitted: { apiKey: string; currency: Currency }): Promise<Connection | undefined> {
  const connection = await observed.store.findByAccount(account.url, CHAOS_CODE);
  const registration = registrationOf(observed.emulator, account.name);
  const where = account.name;
  if (registration && registration.clientId !== connection?.clientId) {
    note(tally, 'halfWritten', `${where}: the CRM holds a clientId the store does not know`);
    return connection;
  }
  if (!connection || !registration) {
    note(tally, 'storeNotCrm', `${where}: connected, yet store ${connection ? 'has' : 'lacks'} it and the CRM ${registration ? 'has' : 'lacks'} it`);
    return connection;
  }
  const problems: string[] = [];
  if (connection.state !== 'active') problems.push(`state ${connection.state}`);
  if (connection.staged !== null) problems.push('a stage is left');
  if (connection.apiKey !== submitted.apiKey) problems.push('the stored key is not the one submitted');
  if (connection.settings.currency !== submitted.currency) problems.push(`stored currency ${String(connection.settings.currency)}, submitted ${submitted.currency}`);
  if (currencyOf(registration) !== submitted.currency) problems.push(`CRM currency ${String(currencyOf(registration))}, submitted ${submitted.currency}`);
  if (registration.active !== true || connection.active !== true) problems.push(`active: CRM ${registration.active}, store ${connection.active}`);
  if (problems.length > 0) note(tally, 'storeNotCrm', `${where}: ${problems.join('; ')}`);
  const created = observed.createdRuns(connection.id);
  if (created === 0 || connection.connectedAt === null) note(tally, 'halfWritten', `${where}: completed, yet onConnected({ created: true }) ran ${created} times, connectedAt ${String(connection.connectedAt)}`);
  if (created > 1) note(tally, 'createdTwice', `${where}: onConnected({ created: true }) ran ${created} times`);
  account.committed = { apiKey: submitted.apiKey, currency: submitted.currency, clientId: connection.clientId };
  return connection;
}

/**
 * Checks an account after an attempt that failed or was cut off (a SIGKILL): the live state is what the CRM last
 * accepted, or a stage is there to settle it. `unconfirmed`: the kit said it could not learn the outcome.
 */
export async function checkInterrupted(observed: Observed, tally: Tally, account: AccountRecord): Promise<void> {
  const connection = await observed.store.findByAccount(account.url, CHAOS_CODE);
  const registration = registrationOf(observed.emulator, account.name);
  const where = account.name;
  if (registration && registration.clientId !== connection?.clientId) {
    note(tally, 'halfWritten', `${where}: the CRM holds a clientId the store does not know`);
    return;
  }
  if (!connection) return;
  const settled = connection.staged !== null;
  const before = account.committed;
  if (before) {
    // A re-connect that did not (yet) succeed: the old key and settings are live and the CRM holds them, or a
    // stage names what may be on its way.
    const committedAgain = connection.apiKey !== before.apiKey || connection.settings.currency !== before.currency;
    if (committedAgain) {
      // It went through after all (the answer was lost, or the process died after the commit): then the CRM must
      // hold exactly that.
      if (currencyOf(registration) !== connection.settings.currency && !settled)
        note(tally, 'halfWritten', `${where}: live currency ${String(connection.settings.currency)} was never accepted by the CRM (${String(currencyOf(registration))})`);
      return;
    }
    if (currencyOf(registration) !== before.currency && !settled)
      note(tally, 'halfWritten', `${where}: the CRM holds currency ${String(currencyOf(registration))}, the live one is ${before.currency}, and no stage settles it`);
    return;
  }
  // A first connect that did not (yet) succeed.
  if (connection.state !== 'pending') {
    if (!registration) note(tally, 'halfWritten', `${where}: ${connection.state} in the store, nothing in the CRM`);
    return;
  }
  if (registration && !settled) note(tally, 'halfWritten', `${where}: the CRM holds the registration of a pending connection with no stage to settle it`);
}

/** The end of a run: every account the run connected still agrees with the CRM, one row per account. */
export async function checkAll(observed: Observed, tally: Tally, accounts: readonly AccountRecord[]): Promise<void> {
  const rows = await observed.store.list();
  const perAccount = new Map<string, number>();
  for (const row of rows) if (row.moduleCode === CHAOS_CODE) perAccount.set(row.accountUrl, (perAccount.get(row.accountUrl) ?? 0) + 1);
  for (const [url, count] of perAccount) if (count > 1) note(tally, 'duplicates', `${url}: ${count} connections`);
  for (const account of accounts) {
    if (!account.committed) continue;
    const final = newTally();
    await checkCompleted(observed, final, account, account.committed);
    tally.storeNotCrm += final.storeNotCrm;
    tally.halfWritten += final.halfWritten;
    for (const problem of final.problems) if (tally.problems.length < 20 && !problem.startsWith('createdTwice')) tally.problems.push(`final ${problem}`);
  }
}

// ── faults ─────────────────────────────────────────────────────────────────────────────────────────────────

export const CRM_PATHS = {
  versions: '/api/api-versions',
  credentials: '/api/credentials',
  sites: '/api/v5/reference/sites',
  edit: `/api/v5/integration-modules/${CHAOS_CODE}/edit`,
  read: `/api/v5/integration-modules/${CHAOS_CODE}`,
} as const;

type FaultKind = Omit<FaultInput, 'path' | 'account' | 'times' | 'method'> & { readonly label: string };

/** What a call can suffer: statuses, proxy pages, a body that is not JSON, a reset, a delay past the deadline. */
const ANSWER_FAULTS: readonly FaultKind[] = [
  { label: '500', status: 500 },
  { label: '502 html', status: 502, body: '<html><body><h1>502 Bad Gateway</h1></body></html>', contentType: 'text/html' },
  { label: '503 html', status: 503, body: '<html><head><title>503 Service Temporarily Unavailable</title></head></html>', contentType: 'text/html' },
  { label: '504', status: 504, body: '<html>Gateway Time-out</html>', contentType: 'text/html' },
  { label: '200 html', status: 200, body: '<!doctype html><title>Maintenance</title>', contentType: 'text/html' },
  { label: '200 malformed', status: 200, body: '{"success":tr', contentType: 'application/json' },
  { label: 'reset', reset: true },
  { label: 'delay', delayMs: CHAOS_DELAY_MS },
];

/** `edit` only: the CRM stores the registration and the answer is lost, replaced or late. */
const AFTER_FAULTS: readonly FaultKind[] = [
  { label: 'applied, 500', after: true, status: 500 },
  { label: 'applied, 502 html', after: true, status: 502, body: '<html>Bad Gateway</html>', contentType: 'text/html' },
  { label: 'applied, reset', after: true, reset: true },
  { label: 'applied, late', after: true, delayMs: CHAOS_DELAY_MS },
];

export interface Scenario {
  readonly label: string;
  readonly rules: readonly FaultInput[];
  /** The run waits this long before looking (a delayed call is still on its way to the CRM). */
  readonly settleMs: number;
}

/** One fault scenario for one connect: a rule on one CRM call, sometimes a second on the read-back. */
export function faultScenario(random: () => number, account: string): Scenario {
  // The read-back is called only after an ambiguous edit: it is faulted together with edit, never alone.
  const target = pick(random, ['versions', 'credentials', 'sites', 'edit', 'edit'] as const);
  const kinds = target === 'edit' ? [...ANSWER_FAULTS, ...AFTER_FAULTS, ...AFTER_FAULTS] : ANSWER_FAULTS;
  const kind = pick(random, kinds);
  const times = 1 + Math.floor(random() * 7);
  const { label, ...effect } = kind;
  const rules: FaultInput[] = [{ account, path: CRM_PATHS[target], times, ...effect }];
  let text = `${target}: ${label} ×${times}`;
  if (target === 'edit' && random() < 0.5) {
    const second = pick(random, ANSWER_FAULTS);
    const secondTimes = 1 + Math.floor(random() * 7);
    const { label: secondLabel, ...secondEffect } = second;
    rules.push({ account, method: 'GET', path: CRM_PATHS.read, times: secondTimes, ...secondEffect });
    text += ` + read: ${secondLabel} ×${secondTimes}`;
  }
  const delayed = rules.some((rule) => rule.delayMs !== undefined);
  return { label: text, rules, settleMs: delayed ? CHAOS_DELAY_MS + 150 : 0 };
}

// ── the in-process world ───────────────────────────────────────────────────────────────────────────────────

export interface World extends Observed {
  readonly module: RunningModule;
  readonly kit: ConnectKit;
  readonly hooks: HookCall[];
  close(): Promise<void>;
}

/**
 * The emulator and an in-process module host on a SQLite store. The client-side rate limit and the connect
 * form's budget share are off (each is tested on its own; here they would only slow the runs down), faults come
 * from the emulator's rules, and each CRM call attempt is cut off after 300 ms within a 1.2 s deadline.
 */
export async function startWorld(): Promise<World> {
  const emulator = await startEmulator({ port: 0, rateLimit: false });
  const dir = mkdtempSync(join(tmpdir(), 'rcmk-chaos-'));
  const store = await openConnectionStore({ databaseUrl: join(dir, 'module.sqlite'), keyring: generateKeyEntry('chaos') });
  const hooks: HookCall[] = [];
  const port = await freePort();
  const module = await startModule({
    module: chaosModule(`http://127.0.0.1:${port}`, (call) => hooks.push(call)),
    port,
    store,
    cookieSecret: 'chaos-cookie-secret-chaos-cookie-secret',
    transport: createCrmTransport({
      accountUrlPolicy: { allowLocal: true },
      requestTimeoutMs: CHAOS_REQUEST_TIMEOUT_MS,
      connectTimeoutMs: CHAOS_REQUEST_TIMEOUT_MS,
      rateLimiter: false,
    }),
    retry: chaosRetry,
    throttle: { perClient: false, perAccount: false },
    unauthenticatedShare: false,
    reconcile: false,
    logger: false,
  });
  return {
    emulator,
    store,
    module,
    kit: module.kit,
    hooks,
    createdRuns: (id) => hooks.filter((call) => call.connectionId === id && call.created).length,
    async close() {
      await module.close();
      await module.kit.transport.close();
      await store.close();
      await emulator.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let accountCounter = 0;

export function newAccount(emulator: EmulatorHandle, prefix: string): AccountRecord {
  const name = `${prefix}-${(++accountCounter).toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
  const { url } = emulator.createAccount({ name });
  return { name, url };
}

function freshKey(emulator: EmulatorHandle, account: AccountRecord): string {
  return emulator.createApiKey(account.name, { scopes: [...KNOWN_SCOPES] }).apiKey;
}

const connectOnce = (kit: ConnectKit, account: AccountRecord, apiKey: string, currency: Currency): Promise<ConnectResult> =>
  connectAccount(kit, { account: account.url, apiKey, settings: { siteCode: 'main', currency }, locale: 'en' });

export interface FaultedRunOptions {
  readonly connects: number;
  /** Share of connects that get a fault scenario (default 0.3). */
  readonly faultRate?: number;
  /** Share of connects that re-connect an account already connected, with a new key and currency (default 0.3). */
  readonly reconnectRate?: number;
  readonly seed: number;
  readonly onProgress?: (done: number) => void;
}

/**
 * Connects under injected faults. Each connect is a first connect of a new account or a re-connect of one
 * already connected; with `faultRate` it gets a scenario. After a failure the faults are cleared and the person
 * tries again, which must succeed. Checks after every attempt, and over every account at the end.
 */
export async function runFaultedConnects(
  world: World,
  options: FaultedRunOptions,
): Promise<Tally & { faulted: number; scenarios: Map<string, number>; lostAnswers: { succeeded: number; failed: number } }> {
  const random = seeded(options.seed);
  const tally = Object.assign(newTally(), { faulted: 0, scenarios: new Map<string, number>(), lostAnswers: { succeeded: 0, failed: 0 } });
  const accounts: AccountRecord[] = [];
  for (let i = 0; i < options.connects; i++) {
    const reconnect = accounts.length > 0 && random() < (options.reconnectRate ?? 0.3);
    const account = reconnect ? pick(random, accounts) : newAccount(world.emulator, 'f');
    if (!reconnect) accounts.push(account);
    const apiKey = freshKey(world.emulator, account);
    const currency = pick(random, CURRENCIES);
    const scenario = random() < (options.faultRate ?? 0.3) ? faultScenario(random, account.name) : undefined;
    if (scenario) {
      tally.faulted += 1;
      const kind = scenario.label.replace(/ ×\d+/g, '');
      tally.scenarios.set(kind, (tally.scenarios.get(kind) ?? 0) + 1);
      for (const rule of scenario.rules) world.emulator.addFault(rule);
    }
    tally.attempts += 1;
    const result = await connectOnce(world.kit, account, apiKey, currency);
    world.emulator.clearFaults();
    if (scenario?.settleMs) await sleep(scenario.settleMs);
    // The CRM stored the registration and its answer was lost or replaced: the read-back's cases.
    if (scenario?.label.startsWith('edit: applied')) tally.lostAnswers[result.ok ? 'succeeded' : 'failed'] += 1;
    if (result.ok) {
      await checkCompleted(world, tally, account, { apiKey, currency });
    } else {
      tally.failed += 1;
      if (result.failure.code === 'RCMK_REGISTRATION_UNCONFIRMED') tally.unconfirmed += 1;
      await checkInterrupted(world, tally, account);
      tally.retries += 1;
      const retried = await connectOnce(world.kit, account, apiKey, currency);
      if (!retried.ok) note(tally, 'retriesFailed', `${account.name} (${scenario?.label ?? 'no fault'}): ${retried.failure.code}`);
      else await checkCompleted(world, tally, account, { apiKey, currency });
    }
    options.onProgress?.(i + 1);
  }
  await checkAll(world, tally, accounts);
  return tally;
}

/** `count` connects of one new account at once, each with its own key and currency. */
export async function runConcurrentConnects(world: World, count: number, seed: number): Promise<Tally> {
  const random = seeded(seed);
  const tally = newTally();
  const account = newAccount(world.emulator, 'c');
  const attempts = Array.from({ length: count }, () => ({ apiKey: freshKey(world.emulator, account), currency: pick(random, CURRENCIES) }));
  const results = await Promise.all(attempts.map((a) => connectOnce(world.kit, account, a.apiKey, a.currency)));
  tally.attempts = count;
  tally.failed = results.filter((r) => !r.ok).length;
  const connection = await world.store.findByAccount(account.url, CHAOS_CODE);
  if (!connection) {
    note(tally, 'storeNotCrm', `${account.name}: no connection after ${count} connects`);
    return tally;
  }
  // The last writer wins on both sides: the committed key is one of the attempts', and its currency is the CRM's.
  const last = attempts.find((a) => a.apiKey === connection.apiKey);
  if (!last) note(tally, 'storeNotCrm', `${account.name}: the stored key is none of the attempts'`);
  else await checkCompleted(world, tally, account, last);
  await checkAll(world, tally, [account]);
  return tally;
}

export interface ActivityStormResult {
  readonly callbacks: number;
  readonly non200: number;
  readonly status5xx: number;
  readonly disagreeAfterSync: number;
}

/**
 * `callbacks` activity callbacks over HTTP for `connections` connected accounts, in random order, about a
 * third of them sent twice, 16 at a time. Every answer must be 200; after one last in-order callback with the
 * CRM's real flags, the store must agree with the CRM on every connection.
 */
export async function runActivityStorm(world: World, options: { connections: number; callbacks: number; seed: number }): Promise<ActivityStormResult> {
  const random = seeded(options.seed);
  const connected: { account: AccountRecord; connection: Connection }[] = [];
  for (let i = 0; i < options.connections; i++) {
    const account = newAccount(world.emulator, 'a');
    const apiKey = freshKey(world.emulator, account);
    const result = await connectOnce(world.kit, account, apiKey, 'RUB');
    if (!result.ok) throw new Error(`setup connect failed: ${result.failure.code}`);
    connected.push({ account, connection: result.connection });
  }
  const sends: { clientId: string; activity: string; systemUrl: string }[] = [];
  while (sends.length < options.callbacks) {
    const { account, connection } = pick(random, connected);
    const body = { clientId: connection.clientId, activity: JSON.stringify({ active: random() < 0.6, freeze: random() < 0.2 }), systemUrl: account.url };
    sends.push(body);
    if (random() < 0.33 && sends.length < options.callbacks) sends.push(body);
  }
  for (let i = sends.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [sends[i], sends[j]] = [sends[j]!, sends[i]!];
  }
  let non200 = 0;
  let status5xx = 0;
  let next = 0;
  const post = async (fields: Record<string, string>) => {
    const response = await request(`${world.module.url}/activity`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
    await response.body.dump();
    return response.statusCode;
  };
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < sends.length) {
        const status = await post(sends[next++]!);
        if (status !== 200) non200 += 1;
        if (status >= 500) status5xx += 1;
      }
    }),
  );
  // The CRM's own state, sent last and in order: now both sides must agree.
  let disagree = 0;
  for (const { account, connection } of connected) {
    const activity = { active: random() < 0.5, freeze: random() < 0.3 };
    await world.emulator.setActivity(account.name, CHAOS_CODE, activity);
    const stored = await world.store.findById(connection.id);
    const held = registrationOf(world.emulator, account.name);
    if (!stored || !held || stored.active !== held.active || stored.freeze !== held.freeze) disagree += 1;
  }
  return { callbacks: sends.length, non200, status5xx, disagreeAfterSync: disagree };
}

// ── the module in a child process ──────────────────────────────────────────────────────────────────────────

const CHILD = fileURLToPath(new URL('./module-child.ts', import.meta.url));
/** The child bundled once per run (esbuild, which tsx brings): it starts in a fraction of tsx's time. */
const BUNDLE = fileURLToPath(new URL('../../node_modules/.cache/rcmk-chaos/module-child.mjs', import.meta.url));
let bundling: Promise<string[]> | undefined;

/** The command line that runs the child: the bundle when esbuild can make it, tsx otherwise. */
function childArgs(): Promise<string[]> {
  bundling ??= (async () => {
    try {
      const { build } = await import('esbuild');
      await build({ entryPoints: [CHILD], bundle: true, platform: 'node', format: 'esm', packages: 'external', outfile: BUNDLE, logLevel: 'silent' });
      return [BUNDLE];
    } catch {
      return ['--import', 'tsx', CHILD];
    }
  })();
  return bundling;
}

export interface ChildModule {
  readonly url: string;
  readonly port: number;
  process: ChildProcess;
  /** How many times the process exited without being told to. */
  crashes: number;
  start(): Promise<void>;
  kill(): Promise<void>;
  stop(): Promise<void>;
  rssBytes(): number | undefined;
  /** The heap in use after a full collection, asked of the process (SIGUSR2). */
  heapAfterGc(): Promise<number | undefined>;
}

/** A module process on a fixed port and store; `start()` again after `kill()` restarts it on the same store. */
export async function childModule(config: Omit<ChildConfig, 'port'>): Promise<ChildModule> {
  const port = await freePort();
  let expectingExit = false;
  let lineListeners: ((line: string) => void)[] = [];
  const handle: ChildModule = {
    url: `http://127.0.0.1:${port}`,
    port,
    process: undefined as unknown as ChildProcess,
    crashes: 0,
    async start() {
      expectingExit = false;
      const child = spawn(process.execPath, ['--expose-gc', ...(await childArgs())], {
        env: { ...process.env, CHAOS_CHILD: JSON.stringify({ ...config, port }) },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      handle.process = child;
      lineListeners = [];
      child.on('exit', () => {
        if (!expectingExit) handle.crashes += 1;
      });
      let pending = '';
      child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
        pending += chunk;
        let newline = pending.indexOf('\n');
        while (newline !== -1) {
          const line = pending.slice(0, newline);
          pending = pending.slice(newline + 1);
          for (const listener of lineListeners) listener(line);
          newline = pending.indexOf('\n');
        }
      });
      await new Promise<void>((resolve, reject) => {
        lineListeners.push((line) => {
          if (line === 'ready') resolve();
        });
        child.once('exit', (code) => reject(new Error(`module child exited with ${code} before it was ready`)));
      });
    },
    async kill() {
      expectingExit = true;
      const exited = new Promise((resolve) => handle.process.once('exit', resolve));
      handle.process.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (handle.process.exitCode !== null || handle.process.signalCode !== null) return;
      expectingExit = true;
      const exited = new Promise((resolve) => handle.process.once('exit', resolve));
      handle.process.kill('SIGTERM');
      await exited;
    },
    heapAfterGc() {
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(undefined), 5_000);
        const listener = (line: string) => {
          if (!line.startsWith('heap ')) return;
          clearTimeout(timer);
          lineListeners = lineListeners.filter((l) => l !== listener);
          resolve(Number(line.slice(5)));
        };
        lineListeners.push(listener);
        handle.process.kill('SIGUSR2');
      });
    },
    rssBytes() {
      const pid = handle.process.pid;
      if (pid === undefined || !existsSync(`/proc/${pid}/status`)) return undefined;
      const line = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return line ? Number(line[1]) * 1024 : undefined;
    },
  };
  return handle;
}

function hookRuns(path: string): (connectionId: string) => number {
  return (connectionId) => {
    if (!existsSync(path)) return 0;
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as HookCall)
      .filter((call) => call.connectionId === connectionId && call.created).length;
  };
}

/** A connect through the child's form, as a browser: the page (CSRF), then the POST. */
async function formConnect(url: string, account: AccountRecord, apiKey: string, currency: Currency): Promise<{ status: number } | { error: string }> {
  const client = new FormClient();
  try {
    const page = await client.get(`${url}/connect?account=${encodeURIComponent(account.url)}`);
    const done = await client.post(`${url}/connect`, { account: account.url, apiKey, siteCode: 'main', currency, _csrf: inputValue(page.body, '_csrf') ?? '' });
    return { status: done.status };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

export interface KillRunOptions {
  readonly connects: number;
  readonly seed: number;
  /** The SIGKILL comes this many ms (uniformly at random up to it) after the form is posted. Default 120. */
  readonly killWithinMs?: number;
  readonly onProgress?: (done: number) => void;
}

/**
 * Connects through a module process that is SIGKILLed at a random point of each connect and started again on
 * the same store; then the person submits again, which must succeed. A third re-connect an account already
 * connected with a new key and currency.
 */
export async function runKillCampaign(options: KillRunOptions): Promise<Tally & { kills: number; killedMidway: number; restarts: number }> {
  const random = seeded(options.seed);
  const emulator = await startEmulator({ port: 0, rateLimit: false });
  const dir = mkdtempSync(join(tmpdir(), 'rcmk-chaos-kill-'));
  const keyring = generateKeyEntry('chaos');
  const databaseUrl = join(dir, 'module.sqlite');
  const hookLog = join(dir, 'hooks.log');
  const child = await childModule({ databaseUrl, keyring, hookLog });
  await child.start();
  // The run's own view of the same store (SQLite WAL: it reads while the child writes).
  const store = await openConnectionStore({ databaseUrl, keyring });
  const observed: Observed = { store, emulator, createdRuns: hookRuns(hookLog) };
  const tally = Object.assign(newTally(), { kills: 0, killedMidway: 0, restarts: 0 });
  const accounts: AccountRecord[] = [];
  try {
    for (let i = 0; i < options.connects; i++) {
      const reconnect = accounts.length > 0 && random() < 0.3;
      const account = reconnect ? pick(random, accounts) : newAccount(emulator, 'k');
      if (!reconnect) accounts.push(account);
      const apiKey = freshKey(emulator, account);
      const currency = pick(random, CURRENCIES);
      tally.attempts += 1;
      const attempt = formConnect(child.url, account, apiKey, currency);
      await sleep(random() * (options.killWithinMs ?? 120));
      await child.kill();
      tally.kills += 1;
      const outcome = await attempt;
      await child.start();
      tally.restarts += 1;
      if ('status' in outcome && outcome.status === 303) {
        await checkCompleted(observed, tally, account, { apiKey, currency });
      } else {
        tally.killedMidway += 1;
        tally.failed += 1;
        await checkInterrupted(observed, tally, account);
        tally.retries += 1;
        const retried = await formConnect(child.url, account, apiKey, currency);
        if (!('status' in retried) || retried.status !== 303) note(tally, 'retriesFailed', `${account.name}: ${JSON.stringify(retried)}`);
        else await checkCompleted(observed, tally, account, { apiKey, currency });
      }
      options.onProgress?.(i + 1);
    }
    await checkAll(observed, tally, accounts);
    tally.duplicates += 0;
    return tally;
  } finally {
    await child.stop();
    await store.close();
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ── fuzzing ────────────────────────────────────────────────────────────────────────────────────────────────

export interface FuzzTarget {
  readonly port: number;
  readonly moduleUrl: string;
  /** Real values, so some requests go deep: a clientId, an account address, a session and its CSRF token. */
  readonly clientId: string;
  readonly accountUrl: string;
  readonly otherAccountUrl: string;
  readonly apiKey: string;
  readonly cookies: string;
  readonly csrf: string;
}

const PATHS = [
  '/connect',
  '/settings',
  '/settings/open',
  '/settings/save',
  '/settings/api-key',
  '/settings/disconnect',
  '/activity',
  '/health',
  '/assets/module.css',
  '/simple-connection/config',
  '/simple-connection/register',
  '/',
  '/favicon.ico',
];

const NAMES = ['clientId', 'client%49d', 'clientId[]', 'ticket', 'account', 'apiKey', 'lang', 'notice', '_csrf', 'entry', 'activity', 'systemUrl', 'register', 'siteCode', 'currency', '__proto__', 'constructor'];

/** A raw HTTP/1.1 request: method, target (which may hold bytes no URL parser accepts), headers, body. */
export interface RawRequest {
  readonly method: string;
  readonly target: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
}

/** Every public endpoint, with values that are valid, nearly valid, repeated, encoded oddly or nonsense. */
export function fuzzRequests(target: FuzzTarget): fc.Arbitrary<RawRequest> {
  const value = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.constantFrom(target.clientId, target.accountUrl, `${target.accountUrl}/`, target.otherAccountUrl, target.apiKey, 'null', '', '%', '%zz', '%00', 'ru', 'saved', 'https://evil.example'),
    fc.constantFrom(
      JSON.stringify({ active: true, freeze: false }),
      JSON.stringify({ active: 'yes' }),
      JSON.stringify({ systemUrl: target.accountUrl, apiKey: target.apiKey, token: simpleConnectionToken(CHAOS_SECRET, target.apiKey) }),
      JSON.stringify({ systemUrl: target.otherAccountUrl, apiKey: 'x', token: 'y' }),
      target.csrf,
    ),
    fc.json({ maxDepth: 2 }),
  );
  const pair = fc.tuple(fc.oneof(fc.constantFrom(...NAMES), fc.string({ maxLength: 12 })), value, fc.boolean());
  const encode = ([key, val, raw]: [string, string, boolean]) => (raw ? `${key}=${val}` : `${encodeURIComponent(key)}=${encodeURIComponent(val)}`);
  const query = fc.array(pair, { maxLength: 6 }).map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(encode).join('&')}`));
  const path = fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...PATHS) },
    { weight: 1, arbitrary: fc.constantFrom(...PATHS).chain((p) => fc.string({ maxLength: 10 }).map((s) => `${p}/${encodeURIComponent(s)}`)) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 16 }).map((s) => `/${s}`) },
  );
  const contentType = fc.constantFrom(
    'application/x-www-form-urlencoded',
    'application/x-www-form-urlencoded; charset=utf-8',
    'application/json',
    'text/plain',
    'multipart/form-data; boundary=x',
    'application/octet-stream',
    undefined,
  );
  const origin = fc.constantFrom(undefined, 'null', target.accountUrl, target.otherAccountUrl, target.moduleUrl, 'https://evil.example', 'garbage');
  const cookie = fc.constantFrom(undefined, target.cookies, 'rcmk_session_chaos-sync=forged.sig; rcmk_csrf_chaos-sync=x', '=;;=');
  const formBody = fc.array(pair, { maxLength: 8 }).map((pairs) => pairs.map(encode).join('&'));
  const body = fc.oneof(formBody, fc.json({ maxDepth: 3 }), fc.string({ maxLength: 200 }), fc.constant(''));
  const chaotic = fc
    .record({
      method: fc.constantFrom('GET', 'POST', 'POST', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'),
      path,
      query,
      contentType,
      origin,
      cookie,
      body,
      language: fc.constantFrom(undefined, 'ru-RU,ru;q=0.9', 'es', '*', ';;;q=x'),
    })
    .map(({ method, path: p, query: q, contentType: type, origin: o, cookie: c, body: b, language }) => {
      const headers: [string, string][] = [];
      if (type) headers.push(['content-type', type]);
      if (o) headers.push(['origin', o]);
      if (c) headers.push(['cookie', c]);
      if (language) headers.push(['accept-language', language]);
      const sendsBody = method !== 'GET' && method !== 'HEAD';
      return { method, target: `${p}${q}`, headers, body: Buffer.from(sendsBody ? b : '', 'utf8') };
    });

  // Well-formed requests of each endpoint, with the real session, CSRF token and clientId most of the time, so
  // the fuzzed values reach the flows behind the edge (the CRM calls included).
  const FORM = 'application/x-www-form-urlencoded';
  const form = (fields: Record<string, string | undefined>) =>
    Object.entries(fields)
      .filter((entry): entry is [string, string] => entry[1] !== undefined)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
      .join('&');
  const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 3 });
  const real = <T>(good: T, arb: fc.Arbitrary<T>) => fc.oneof({ weight: 3, arbitrary: fc.constant(good) }, { weight: 1, arbitrary: arb });
  const text = value as fc.Arbitrary<string>;
  const post = (path: string, fields: fc.Arbitrary<Record<string, string | undefined>>, extra: fc.Arbitrary<readonly (readonly [string, string])[]> = fc.constant([])) =>
    fc.tuple(fields, extra, real(target.cookies, cookie.map((c) => c ?? ''))).map(([f, more, c]): RawRequest => ({
      method: 'POST',
      target: path,
      headers: [['content-type', FORM], ...(c ? ([['cookie', c]] as const) : []), ...more],
      body: Buffer.from(form(f), 'utf8'),
    }));
  const get = (path: string, fields: fc.Arbitrary<Record<string, string | undefined>>) =>
    fc.tuple(fields, real(target.cookies, cookie.map((c) => c ?? ''))).map(([f, c]): RawRequest => {
      const q = form(f);
      return { method: 'GET', target: q ? `${path}?${q}` : path, headers: c ? [['cookie', c]] : [], body: Buffer.alloc(0) };
    });
  const csrf = real(target.csrf, text);
  const originHeader = origin.map((o) => (o ? ([['origin', o]] as const) : []));
  const structured = fc.oneof(
    get('/connect', fc.record({ account: maybe(text), lang: maybe(text) })),
    post('/connect', fc.record({ account: real(target.accountUrl, text), apiKey: real(target.apiKey, text), siteCode: maybe(text), currency: maybe(fc.constantFrom(...CURRENCIES, 'XXX')), _csrf: csrf, lang: maybe(text) })),
    post('/settings', fc.record({ clientId: real(target.clientId, text) }), originHeader),
    get('/settings', fc.record({ clientId: maybe(real(target.clientId, text)), ticket: maybe(text), notice: maybe(text), lang: maybe(text) })),
    post('/settings/open', fc.record({ _csrf: csrf, entry: maybe(text), lang: maybe(text) })),
    post('/settings/save', fc.record({ _csrf: csrf, siteCode: real('main', text), currency: real('USD', fc.constantFrom(...CURRENCIES, 'XXX', '')), lang: maybe(text) })),
    post('/settings/api-key', fc.record({ _csrf: csrf, apiKey: real(target.apiKey, text) })),
    post('/activity', fc.record({ clientId: real(target.clientId, text), activity: real(JSON.stringify({ active: true, freeze: false }), text), systemUrl: maybe(real(target.accountUrl, text)) })),
    post('/simple-connection/register', fc.record({ register: text })),
    fc.constantFrom('/health', '/simple-connection/config', '/assets/module.css').map((p): RawRequest => ({ method: 'GET', target: p, headers: [], body: Buffer.alloc(0) })),
  );
  return fc.oneof({ weight: 3, arbitrary: structured }, { weight: 1, arbitrary: chaotic });
}

/** Sends one raw request on its own connection; the status, or 0 when the connection ended without an answer. */
export function sendRaw(port: number, raw: RawRequest, timeoutMs = 10_000): Promise<number> {
  return new Promise((resolve) => {
    const head = Buffer.concat([
      Buffer.from(`${raw.method} ${raw.target} HTTP/1.1\r\n`, 'latin1'),
      Buffer.from(
        [`host: 127.0.0.1:${port}`, ...raw.headers.map(([k, v]) => `${k}: ${v.replace(/[\r\n]/g, '')}`), `content-length: ${raw.body.length}`, 'connection: close'].join('\r\n') + '\r\n\r\n',
        'utf8',
      ),
    ]);
    let data = '';
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(data)?.[1];
      resolve(status ? Number(status) : 0);
    };
    // Written, not ended: a client that half-closes its side is cut off by Node while the answer is still coming.
    const socket = tcp(port, '127.0.0.1', () => socket.write(Buffer.concat([head, raw.body])));
    const timer = setTimeout(() => {
      socket.destroy();
      finish();
    }, timeoutMs);
    socket.on('data', (chunk) => {
      data += chunk.toString('latin1');
    });
    socket.on('close', finish);
    socket.on('error', () => {});
  });
}

/** A module process with a connected account, a session and a CSRF token, ready to be fuzzed. */
export async function startFuzzTarget(): Promise<{ target: FuzzTarget; child: ChildModule; emulator: EmulatorHandle; close(): Promise<void> }> {
  const emulator = await startEmulator({ port: 0, rateLimit: false });
  const dir = mkdtempSync(join(tmpdir(), 'rcmk-chaos-fuzz-'));
  const keyring = generateKeyEntry('chaos');
  const databaseUrl = join(dir, 'module.sqlite');
  const child = await childModule({ databaseUrl, keyring, hookLog: join(dir, 'hooks.log') });
  await child.start();
  const account = newAccount(emulator, 'z');
  const other = newAccount(emulator, 'o');
  const apiKey = freshKey(emulator, account);
  const connected = await formConnect(child.url, account, apiKey, 'RUB');
  if (!('status' in connected) || connected.status !== 303) throw new Error(`fuzz setup: connect failed ${JSON.stringify(connected)}`);
  const store = await openConnectionStore({ databaseUrl, keyring });
  const connection = await store.findByAccount(account.url, CHAOS_CODE);
  await store.close();
  if (!connection) throw new Error('fuzz setup: no connection');
  const browser = new FormClient();
  await browser.post(`${child.url}/settings`, { clientId: connection.clientId }, { origin: account.url });
  const page = await browser.get(`${child.url}/settings`);
  const cookies = ['rcmk_session_chaos-sync', 'rcmk_csrf_chaos-sync']
    .map((name) => `${name}=${browser.cookie(name) ?? ''}`)
    .join('; ');
  const target: FuzzTarget = {
    port: child.port,
    moduleUrl: child.url,
    clientId: connection.clientId,
    accountUrl: account.url,
    otherAccountUrl: other.url,
    apiKey,
    cookies,
    csrf: inputValue(page.body, '_csrf') ?? '',
  };
  return {
    target,
    child,
    emulator,
    async close() {
      await child.stop();
      await emulator.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface FuzzResult {
  readonly requests: number;
  readonly status5xx: number;
  readonly dropped: number;
  readonly crashes: number;
  readonly statuses: ReadonlyMap<number, number>;
  readonly rss: readonly number[];
  /** The heap after a full collection, at every tenth of the requests and at the end. */
  readonly heapAfterGc: readonly (number | undefined)[];
  readonly healthAfter: number;
  readonly examples5xx: readonly RawRequest[];
}

/** Sends `count` generated requests, `concurrency` at a time, reading the child's RSS at the start, every tenth and the end. */
export async function runFuzz(fuzz: Awaited<ReturnType<typeof startFuzzTarget>>, options: { count: number; seed: number; concurrency?: number }): Promise<FuzzResult> {
  const samples = fc.sample(fuzzRequests(fuzz.target), { numRuns: options.count, seed: options.seed });
  const statuses = new Map<number, number>();
  const examples5xx: RawRequest[] = [];
  const rss: number[] = [];
  const readRss = () => {
    const value = fuzz.child.rssBytes();
    if (value !== undefined) rss.push(value);
  };
  readRss();
  let next = 0;
  let status5xx = 0;
  let dropped = 0;
  const heaps: Promise<number | undefined>[] = [];
  await Promise.all(
    Array.from({ length: options.concurrency ?? 8 }, async () => {
      while (next < samples.length) {
        const index = next++;
        if (index > 0 && index % Math.max(1, Math.floor(samples.length / 10)) === 0) readRss();
        if (index > 0 && index % Math.max(1, Math.floor(samples.length / 10)) === 0) heaps.push(fuzz.child.heapAfterGc());
        const raw = samples[index]!;
        const status = await sendRaw(fuzz.target.port, raw);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status >= 500) {
          status5xx += 1;
          if (examples5xx.length < 5) examples5xx.push(raw);
        }
        if (status === 0) dropped += 1;
      }
    }),
  );
  readRss();
  const heapAfterGc = [...(await Promise.all(heaps)), await fuzz.child.heapAfterGc()];
  const health = await request(`${fuzz.target.moduleUrl}/health`).then(
    async (r) => {
      await r.body.dump();
      return r.statusCode;
    },
    () => 0,
  );
  return { requests: samples.length, status5xx, dropped, crashes: fuzz.child.crashes, statuses, rss, heapAfterGc, healthAfter: health, examples5xx };
}
