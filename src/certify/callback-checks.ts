/**
 * The callbacks the CRM sends to a connected module: activity (PROTOCOL §11.1), settings (§19) and the declared
 * integrations' actions (§20–§23), each answered in the CRM's envelope and within a latency budget.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { callbackUrl } from '../emulator/activity.js';
import type { EmulatorHandle } from '../emulator/index.js';
import type { IntegrationModule } from '../protocol/index.js';
import { BrowserClient } from './browser-client.js';
import type { CheckResult, CheckRunner } from './certify-module.js';
import { CertifyReason } from './report.js';

export interface Connected {
  readonly account: string;
  readonly registration: IntegrationModule;
  reinstall(): Promise<void>;
}

interface Budget {
  readonly budgetMs: number;
  readonly timeoutMs: number;
}

/** Callbacks the CRM sends as GET with a query string (PROTOCOL-INTEGRATIONS §21.1; payment `status`, §22.5). */
const GET_ACTIONS = new Set(['delivery.get', 'delivery.shipmentPointList', 'delivery.tariffList', 'payment.status']);

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly ms: number;
}

const parse = (body: string): Record<string, unknown> | undefined => {
  try {
    const json: unknown = JSON.parse(body);
    return typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};

/** A successful answer: 2xx, `{"success": true}`, in time. */
function judgeSuccess(answer: Answer, budget: Budget, what: string): CheckResult {
  if (answer.status < 200 || answer.status >= 300) return { ok: false, reason: CertifyReason.CallbackRefused, detail: `${what}: HTTP ${answer.status}` };
  if (parse(answer.body)?.['success'] !== true) return { ok: false, reason: CertifyReason.WrongEnvelope, detail: `${what}: the answer is not {"success": true}: ${answer.body.slice(0, 80)}` };
  if (answer.ms > budget.budgetMs) return { ok: false, reason: CertifyReason.CallbackTooSlow, detail: `${what}: ${Math.round(answer.ms)} ms, over the ${budget.budgetMs} ms budget` };
  return { ok: true, detail: `${Math.round(answer.ms)} ms` };
}

/** A refusal of an unknown clientId: a 4xx in the envelope (`success: false`), never a 5xx, never accepted. */
function judgeUnknown(answer: Answer, budget: Budget, what: string): CheckResult {
  if (answer.status >= 500) return { ok: false, reason: CertifyReason.UnknownClientIdServerError, detail: `${what}: HTTP ${answer.status} for an unknown clientId` };
  const json = parse(answer.body);
  if (answer.status < 400 || json?.['success'] === true) return { ok: false, reason: CertifyReason.UnknownClientIdAccepted, detail: `${what}: HTTP ${answer.status}, an unknown clientId was accepted` };
  if (json?.['success'] !== false) return { ok: false, reason: CertifyReason.WrongEnvelope, detail: `${what}: the refusal is not {"success": false, "errorMsg": …}` };
  if (answer.ms > budget.budgetMs) return { ok: false, reason: CertifyReason.CallbackTooSlow, detail: `${what}: ${Math.round(answer.ms)} ms, over the ${budget.budgetMs} ms budget` };
  return { ok: true, detail: `HTTP ${answer.status}` };
}

export async function checkCallbacks(runner: CheckRunner, emulator: EmulatorHandle, connected: Connected, budget: Budget): Promise<void> {
  const { registration } = connected;
  const client = new BrowserClient(budget.timeoutMs);
  const activityPath = registration.actions?.['activity'];
  const baseUrl = registration.baseUrl;
  const unknownClientId = `certify-unknown-${randomBytes(12).toString('hex')}`;
  const post = (url: string, fields: Record<string, string>) => client.postForm(url, fields);

  if (!baseUrl || !activityPath) {
    runner.skip('activity.unknown-client', 'an unknown clientId is refused', 'no activity callback registered');
    runner.skip('activity.deliver', 'the activity callback is answered', 'no activity callback registered');
  } else {
    const url = callbackUrl(baseUrl, activityPath);
    const form = (clientId: string, active: boolean) => ({ clientId, activity: JSON.stringify({ active, freeze: false }), systemUrl: `${emulator.accountUrl(connected.account)}/` });
    await runner.run('activity.unknown-client', 'the activity callback refuses an unknown clientId (4xx, not 5xx)', async () =>
      judgeUnknown(await post(url, form(unknownClientId, false)), budget, 'activity'));
    await runner.run('activity.deliver', 'switching the module off in the CRM is answered {"success": true} in time', async () => {
      const started = performance.now();
      const delivery = await emulator.setActivity(connected.account, registration.code, { active: false });
      const ms = performance.now() - started;
      if (delivery.status === null) return { ok: false, reason: CertifyReason.CallbackRefused, detail: `no answer: ${delivery.error ?? 'unknown'}` };
      return judgeSuccess({ status: delivery.status, body: delivery.body ?? '', ms }, budget, 'activity');
    });
    await runner.run('activity.repeat', 'the same activity callback twice is answered alike (repeats are harmless)', async () => {
      const clientId = registration.clientId;
      for (let i = 0; i < 2; i += 1) {
        const verdict = judgeSuccess(await post(url, form(clientId, false)), budget, `activity, repeat ${i + 1}`);
        if (!verdict.ok) return verdict;
      }
      const back = await emulator.setActivity(connected.account, registration.code, { active: true });
      return back.delivered ? { ok: true } : { ok: false, reason: CertifyReason.CallbackRefused, detail: `switching back on: HTTP ${back.status ?? 'none'}` };
    });
  }

  // Opening the module from the CRM (§11.3, §18): a top-level form POST of clientId to the registered accountUrl.
  const pageUrl = registration.accountUrl;
  if (!pageUrl) runner.skip('open.settings-page', 'the CRM opens the module’s page', 'the registration has no accountUrl');
  else {
    await runner.run('open.settings-page', 'the CRM opening the module’s page (POST clientId to accountUrl) shows it', async () => {
      const person = new BrowserClient(budget.timeoutMs);
      let answer = await person.postForm(pageUrl, { clientId: registration.clientId });
      let at = pageUrl;
      for (let hops = 0; hops < 3 && answer.status >= 300 && answer.status < 400 && answer.location; hops += 1) {
        at = new URL(answer.location, at).toString();
        answer = await person.get(at);
      }
      if (answer.status !== 200) return { ok: false, reason: CertifyReason.SettingsPageBroken, detail: `HTTP ${answer.status} at ${new URL(at).pathname}` };
      const stranger = await client.postForm(pageUrl, { clientId: unknownClientId });
      return stranger.status >= 400 && stranger.status < 500
        ? { ok: true }
        : { ok: false, reason: CertifyReason.SettingsPageBroken, detail: `an unknown clientId got HTTP ${stranger.status}, not a 4xx` };
    });
  }

  const settingsPath = registration.actions?.['settings'];
  if (!baseUrl || !settingsPath) runner.skip('settings', 'the settings callback (§19)', 'not registered');
  else {
    const url = callbackUrl(baseUrl, settingsPath);
    const settings = JSON.stringify({ default_currency: { value: 'EUR', updated_at: '2026-03-01 10:00:00' } });
    await runner.run('settings.unknown-client', 'the settings callback refuses an unknown clientId', async () =>
      judgeUnknown(await post(url, { clientId: unknownClientId, settings }), budget, 'settings'));
    await runner.run('settings.deliver', 'a partial settings callback is answered {"success": true} in time', async () =>
      judgeSuccess(await post(url, { clientId: registration.clientId, settings }), budget, 'settings'));
  }

  const integrations = (registration as { integrations?: Record<string, { actions?: Record<string, string> } | undefined> }).integrations ?? {};
  for (const [kind, integration] of Object.entries(integrations)) {
    for (const [action, path] of Object.entries(integration?.actions ?? {})) {
      if (!baseUrl || typeof path !== 'string') continue;
      const url = callbackUrl(baseUrl, path);
      await runner.run(`${kind}.${action}`, `the ${kind} ${action} callback answers in the envelope, in time`, async () => {
        // An empty request: the module may refuse it, but in the envelope, without a 5xx, within the budget.
        const answer = GET_ACTIONS.has(`${kind}.${action}`)
          ? await client.get(`${url}${url.includes('?') ? '&' : '?'}clientId=${encodeURIComponent(registration.clientId)}`)
          : await post(url, { clientId: registration.clientId, [action]: '{}' });
        const json = parse(answer.body);
        if (answer.status >= 500) return { ok: false, reason: CertifyReason.CallbackRefused, detail: `HTTP ${answer.status}` };
        if (typeof json?.['success'] !== 'boolean') return { ok: false, reason: CertifyReason.WrongEnvelope, detail: 'the answer has no boolean "success"' };
        if (answer.ms > budget.budgetMs) return { ok: false, reason: CertifyReason.CallbackTooSlow, detail: `${Math.round(answer.ms)} ms, over the ${budget.budgetMs} ms budget` };
        return { ok: true, detail: `HTTP ${answer.status}, ${Math.round(answer.ms)} ms` };
      });
    }
  }
}
