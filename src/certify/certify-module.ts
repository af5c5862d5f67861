/**
 * `certify`: plays the CRM against a running module at a URL, whatever it is written in, and reports what the
 * CRM would stumble on. It runs the bundled emulator as the CRM (the module must accept its local account
 * addresses, `http://{name}.localhost:{port}`, as any module does in development), connects by the old method
 * and/or the simple connection, sends the callbacks the module registered, and re-installs.
 * @see ../../docs/guide/certify.md
 * @module
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { startEmulator, type EmulatorHandle } from '../emulator/index.js';
import { KNOWN_SCOPES, simpleConnectionToken, type IntegrationModule } from '../protocol/index.js';
import { BrowserClient } from './browser-client.js';
import { checkCallbacks, type Connected } from './callback-checks.js';
import { connectByForm, openConnectForm } from './form-connect.js';
import { CertifyReason, type CertifyCheck, type CertifyReport } from './report.js';

export interface CertifyOptions {
  /** The module's connect page (its accountUrl in the partner cabinet): checks the old method. */
  readonly connectUrl?: string;
  /** The simple connection's config URL and the cabinet's secret: checks the simple connection. */
  readonly simple?: { readonly configUrl: string; readonly secret: string };
  /** Values for the module's own fields on its connect form (e.g. `{ siteCode: 'main' }`). */
  readonly fields?: Readonly<Record<string, string>>;
  /** Longest a callback may take to answer. Default 2,000 ms. */
  readonly budgetMs?: number;
  /** Longest any request may take before it counts as unanswered. Default 15,000 ms. */
  readonly timeoutMs?: number;
  /** Play this emulator instead of starting one (it is left running). */
  readonly emulator?: EmulatorHandle;
}

export type CheckResult = { readonly ok: true; readonly detail?: string } | { readonly ok: false; readonly reason: CertifyReason; readonly detail: string };

/** Runs checks in order and collects them; a check that throws failed as `unreachable`. */
export class CheckRunner {
  readonly checks: CertifyCheck[] = [];
  /** Keys, clientIds, the secret: a detail quoting a module's answer must not carry them into a report. */
  readonly #secrets = new Set<string>();

  hide(...secrets: readonly (string | undefined)[]): void {
    for (const secret of secrets) if (secret && secret.length >= 8) this.#secrets.add(secret);
  }

  #redact(text: string): string {
    let out = text;
    for (const secret of this.#secrets) out = out.split(secret).join('[redacted]');
    return out;
  }

  async run(id: string, title: string, check: () => Promise<CheckResult>): Promise<boolean> {
    const started = performance.now();
    let result: CheckResult;
    try {
      result = await check();
    } catch (error) {
      result = { ok: false, reason: CertifyReason.Unreachable, detail: describeError(error) };
    }
    const ms = performance.now() - started;
    this.checks.push(result.ok
      ? { id, title, status: 'passed', ms, ...(result.detail ? { detail: this.#redact(result.detail) } : {}) }
      : { id, title, status: 'failed', reason: result.reason, detail: this.#redact(result.detail), ms });
    return result.ok;
  }

  skip(id: string, title: string, why: string): void {
    this.checks.push({ id, title, status: 'skipped', detail: why, ms: 0 });
  }
}

export function describeError(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  const name = error instanceof Error ? error.name : 'Error';
  return `no answer (${typeof code === 'string' ? code : name})`;
}

let accountSerial = 0;

export async function certifyModule(options: CertifyOptions): Promise<CertifyReport> {
  const started = performance.now();
  const budgetMs = options.budgetMs ?? 2000;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const emulator = options.emulator ?? (await startEmulator({ port: 0, callbackTimeoutMs: timeoutMs }));
  const runner = new CheckRunner();
  const connections: Connected[] = [];
  try {
    if (!options.connectUrl && !options.simple) runner.skip('setup', 'what to certify', 'give the connect URL, the simple connection, or both');
    if (options.connectUrl) {
      const connected = await certifyFormMethod(runner, emulator, options.connectUrl, options.fields ?? {}, timeoutMs);
      if (connected) connections.push(connected);
    }
    if (options.simple) {
      const connected = await certifySimpleMethod(runner, emulator, options.simple, timeoutMs);
      if (connected) connections.push(connected);
    }
    const first = connections[0];
    if (first) await checkCallbacks(runner, emulator, first, { budgetMs, timeoutMs });
    for (const connected of connections) await connected.reinstall();
  } finally {
    if (!options.emulator) await emulator.close();
  }
  const checks = runner.checks;
  return { ok: checks.length > 0 && checks.every((c) => c.status !== 'failed') && checks.some((c) => c.status === 'passed'), checks, ms: performance.now() - started };
}

/** The registered module of an account (the only one certify's fresh accounts hold). */
export function registrationOf(emulator: EmulatorHandle, account: string): IntegrationModule | undefined {
  return emulator.integrationModules(account)[0];
}

function newAccount(emulator: EmulatorHandle, kind: string) {
  accountSerial += 1;
  return emulator.createAccount({ name: `certify-${kind}-${process.pid}-${accountSerial}` });
}

function checkRegistration(runner: CheckRunner, id: string, registration: IntegrationModule | undefined) {
  return runner.run(id, 'the registration declares the activity callback', async () =>
    registration?.baseUrl && registration.actions?.['activity']
      ? { ok: true, detail: `${registration.actions['activity']}` }
      : { ok: false, reason: CertifyReason.ActivityNotRegistered, detail: 'integrationModule.actions.activity is missing: the CRM could not tell the module it was switched off' });
}

async function certifyFormMethod(
  runner: CheckRunner,
  emulator: EmulatorHandle,
  connectUrl: string,
  fields: Readonly<Record<string, string>>,
  timeoutMs: number,
): Promise<Connected | undefined> {
  const account = newAccount(emulator, 'form');
  runner.hide(account.apiKey);
  const browser = new BrowserClient(timeoutMs);
  const formOk = await runner.run('form.open', 'the connect page answers ?account= with a form carrying the account', async () => {
    const opened = await openConnectForm(browser, connectUrl, account.url);
    return opened.ok ? { ok: true } : opened;
  });
  if (!formOk) return undefined;
  await runner.run('form.wrong-key', 'a wrong API key gets a readable error and registers nothing', async () => {
    const wrongKey = `certify-wrong-${randomBytes(8).toString('hex')}`;
    runner.hide(wrongKey);
    const outcome = await connectByForm(browser, connectUrl, account.url, wrongKey, fields);
    if (outcome.kind === 'returned') return { ok: false, reason: CertifyReason.WrongKeyUnreadable, detail: 'the module sent the person back to the CRM as if connected' };
    if (outcome.status >= 500) return { ok: false, reason: CertifyReason.WrongKeyUnreadable, detail: `HTTP ${outcome.status}` };
    if (registrationOf(emulator, account.name)) return { ok: false, reason: CertifyReason.WrongKeyUnreadable, detail: 'a registration was made with a wrong key' };
    if (!outcome.html) return { ok: false, reason: CertifyReason.WrongKeyUnreadable, detail: `HTTP ${outcome.status}, not an HTML page a person can read` };
    // A message is something the page says that the untouched form did not.
    return outcome.newWords.length >= 3
      ? { ok: true, detail: `HTTP ${outcome.status}: “${outcome.text.slice(0, 80)}”` }
      : { ok: false, reason: CertifyReason.WrongKeyUnreadable, detail: `HTTP ${outcome.status}: the page says nothing the form did not` };
  });
  const connectOk = await runner.run('form.connect', 'a good key connects, registers, and returns the person to the CRM', async () => {
    const outcome = await connectByForm(browser, connectUrl, account.url, account.apiKey, fields);
    if (outcome.kind === 'stayed') {
      return outcome.status < 400 && outcome.status >= 200 && registrationOf(emulator, account.name)
        ? { ok: false, reason: CertifyReason.NoReturnToCrm, detail: `HTTP ${outcome.status}, not a redirect to the account` }
        : { ok: false, reason: CertifyReason.ConnectFailed, detail: `HTTP ${outcome.status}: “${outcome.text.slice(0, 120)}”` };
    }
    if (!outcome.location.startsWith(account.url)) return { ok: false, reason: CertifyReason.NoReturnToCrm, detail: `redirected to ${new URL(outcome.location).origin}, not the account` };
    return registrationOf(emulator, account.name)
      ? { ok: true }
      : { ok: false, reason: CertifyReason.RegistrationMissing, detail: 'no integration-modules/{code}/edit reached the CRM' };
  });
  if (!connectOk) return undefined;
  const registration = registrationOf(emulator, account.name);
  if (!registration) return undefined;
  runner.hide(registration.clientId);
  await checkRegistration(runner, 'form.registration', registration);
  return {
    account: account.name,
    registration,
    reinstall: async () => {
      await runner.run('form.reinstall', 're-installing with a new key keeps the one registration and its clientId', async () => {
        const { apiKey } = emulator.createApiKey(account.name, { scopes: [...KNOWN_SCOPES] });
        runner.hide(apiKey);
        const outcome = await connectByForm(new BrowserClient(timeoutMs), connectUrl, account.url, apiKey, fields);
        if (outcome.kind === 'stayed') return { ok: false, reason: CertifyReason.ConnectFailed, detail: `HTTP ${outcome.status}: “${outcome.text.slice(0, 120)}”` };
        return sameRegistration(emulator, account.name, registration);
      });
    },
  };
}

function sameRegistration(emulator: EmulatorHandle, account: string, before: IntegrationModule): CheckResult {
  const all = emulator.integrationModules(account);
  const after = all.find((m) => m.code === before.code);
  if (all.length !== 1 || !after) return { ok: false, reason: CertifyReason.ReinstallDuplicates, detail: `${all.length} registrations after re-installing` };
  return after.clientId === before.clientId
    ? { ok: true }
    : { ok: false, reason: CertifyReason.ReinstallDuplicates, detail: 'the re-install registered a new clientId: the module made a second connection for the same account' };
}

interface JsonAnswer {
  readonly status: number;
  readonly json: Record<string, unknown> | undefined;
  readonly ms: number;
}

async function jsonOf(answer: Promise<{ status: number; body: string; ms: number }>): Promise<JsonAnswer> {
  const { status, body, ms } = await answer;
  try {
    const json: unknown = JSON.parse(body);
    return { status, json: typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined, ms };
  } catch {
    return { status, json: undefined, ms };
  }
}

async function certifySimpleMethod(
  runner: CheckRunner,
  emulator: EmulatorHandle,
  simple: { readonly configUrl: string; readonly secret: string },
  timeoutMs: number,
): Promise<Connected | undefined> {
  const crm = new BrowserClient(timeoutMs);
  const account = newAccount(emulator, 'simple');
  runner.hide(account.apiKey, simple.secret);
  let config: { scopes: string[]; registerUrl: string } | undefined;
  const configOk = await runner.run('simple.config', 'the config answers {success, scopes, registerUrl} (§13.3)', async () => {
    const { status, json } = await jsonOf(crm.get(simple.configUrl));
    const scopes = json?.['scopes'];
    const registerUrl = json?.['registerUrl'];
    const problems = [
      status === 200 ? '' : `HTTP ${status}`,
      json?.['success'] === true ? '' : 'success is not true',
      Array.isArray(scopes) && scopes.every((s) => typeof s === 'string') ? '' : 'scopes is not a list of strings',
      typeof registerUrl === 'string' && /^https?:\/\//.test(registerUrl) ? '' : 'registerUrl is not an absolute URL',
    ].filter(Boolean);
    if (problems.length > 0) return { ok: false, reason: CertifyReason.ConfigShape, detail: problems.join('; ') };
    config = { scopes: scopes as string[], registerUrl: registerUrl as string };
    return { ok: true };
  });
  if (!configOk || !config) return undefined;
  const { registerUrl, scopes } = config;
  const register = (body: Record<string, string>) => jsonOf(crm.postForm(registerUrl, { register: JSON.stringify(body) }));
  const systemUrl = `${account.url}/`;

  await runner.run('simple.bad-hmac', 'a register request with a bad HMAC is refused with 401', async () => {
    const { apiKey } = emulator.createApiKey(account.name, { scopes });
    runner.hide(apiKey);
    const answer = await register({ systemUrl, apiKey, token: simpleConnectionToken(`${simple.secret}-not`, apiKey) });
    if ((answer.status >= 200 && answer.status < 300) || answer.json?.['success'] === true || registrationOf(emulator, account.name))
      return { ok: false, reason: CertifyReason.BadHmacAccepted, detail: `HTTP ${answer.status}: the module accepted a token not made with the secret` };
    return answer.status === 401 ? { ok: true } : { ok: false, reason: CertifyReason.BadHmacNot401, detail: `refused with HTTP ${answer.status}, not 401` };
  });

  const { apiKey } = emulator.createApiKey(account.name, { scopes });
  const good = { systemUrl, apiKey, token: simpleConnectionToken(simple.secret, apiKey) };
  runner.hide(apiKey, good.token);
  let landing: string | undefined;
  const registered = await runner.run('simple.register', 'a good register is answered {success: true, accountUrl} and registers (§13.4)', async () => {
    const answer = await register(good);
    const url = answer.json?.['accountUrl'];
    if (typeof url === 'string') landing = url;
    if (answer.status !== 200 && answer.status !== 201) return { ok: false, reason: CertifyReason.WrongRegisterAnswer, detail: `HTTP ${answer.status}` };
    if (answer.json?.['success'] !== true || typeof url !== 'string' || !/^https?:\/\//.test(url))
      return { ok: false, reason: CertifyReason.WrongRegisterAnswer, detail: 'the answer lacks success: true or an absolute accountUrl' };
    return registrationOf(emulator, account.name) ? { ok: true } : { ok: false, reason: CertifyReason.RegistrationMissing, detail: 'no integration-modules/{code}/edit reached the CRM' };
  });
  if (!registered) return undefined;
  if (landing) {
    const url = landing;
    runner.hide(new URL(url).search.slice(1));
    await runner.run('simple.landing', 'the accountUrl the CRM sends the person to opens a page', async () => {
      const person = new BrowserClient(timeoutMs);
      let answer = await person.get(url);
      let at = url;
      for (let hops = 0; hops < 3 && answer.status >= 300 && answer.status < 400 && answer.location; hops += 1) {
        at = new URL(answer.location, at).toString();
        answer = await person.get(at);
      }
      return answer.status === 200
        ? { ok: true }
        : { ok: false, reason: CertifyReason.LandingBroken, detail: `HTTP ${answer.status} at ${new URL(at).pathname}` };
    });
  }
  await runner.run('simple.replay', 'the same register request sent again is refused', async () => {
    const answer = await register(good);
    return answer.status >= 400 && answer.status < 500 && answer.json?.['success'] !== true
      ? { ok: true, detail: `HTTP ${answer.status}` }
      : { ok: false, reason: CertifyReason.ReplayAccepted, detail: `HTTP ${answer.status}: a replayed register request was not refused` };
  });
  const registration = registrationOf(emulator, account.name);
  if (!registration) return undefined;
  runner.hide(registration.clientId);
  await checkRegistration(runner, 'simple.registration', registration);
  return {
    account: account.name,
    registration,
    reinstall: async () => {
      await runner.run('simple.reinstall', 're-installing with a new key keeps the one registration and its clientId', async () => {
        const { apiKey: next } = emulator.createApiKey(account.name, { scopes });
        runner.hide(next);
        const answer = await register({ systemUrl, apiKey: next, token: simpleConnectionToken(simple.secret, next) });
        if (answer.json?.['success'] !== true) return { ok: false, reason: CertifyReason.ConnectFailed, detail: `HTTP ${answer.status}` };
        return sameRegistration(emulator, account.name, registration);
      });
    },
  };
}
