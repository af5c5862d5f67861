/**
 * The emulator calling a delivery or payment module as the CRM does (PROTOCOL-INTEGRATIONS §21.1, §22.1): the
 * action's address from the registration (`integrations.<kind>.actions`), `clientId` first, POST with the JSON in
 * a field named after the action or GET with plain query fields. The answer is checked against the protocol's
 * schema: a module that passes here answers in the CRM's shape, and a refusal names the wrong field.
 * @module
 */
import { Agent, request } from 'undici';
import type { z } from 'zod';
import { callbackUrl, localhostAwareLookup } from './activity.js';
import type { Account } from './state.js';

export type CallOutcome<T> =
  | { readonly ok: true; readonly result: T; readonly status: number; readonly contentType: string; readonly bytes: Buffer }
  | { readonly ok: false; readonly refusal: string; readonly status: number | null };

export interface IntegrationCall {
  readonly kind: 'delivery' | 'payment';
  readonly action: string;
  readonly method: 'GET' | 'POST';
  /** The JSON of the action's field (POST) or the plain query fields (GET). */
  readonly input: Record<string, unknown>;
  /** The `result` the CRM takes; `null`: the answer is a file (print), or `undefined`: only `{success:true}`. */
  readonly result?: z.ZodType | null;
}

const MAX_ANSWER = 2 * 1024 * 1024;
const MAX_ISSUES = 3;

/** The registered module of `code` that declares `kind`, and the action's URL; a reason otherwise. */
export function integrationTarget(account: Account, code: string, kind: string, action: string): { url: string; clientId: string } | { refusal: string } {
  const module = account.modules.get(code);
  if (module === undefined) return { refusal: `No module "${code}" is connected` };
  if (!module.active) return { refusal: `The module "${code}" is switched off` };
  const integration = (module.registration.integrations as Record<string, { actions?: Record<string, unknown> }> | undefined)?.[kind];
  const path = integration?.actions?.[action];
  if (typeof path !== 'string' || module.registration.baseUrl === undefined) return { refusal: `The module "${code}" has no ${kind} action "${action}"` };
  return { url: callbackUrl(module.registration.baseUrl, path), clientId: module.registration.clientId };
}

export function createIntegrationCaller(options: { readonly timeoutMs: number }) {
  const agent = new Agent({ connect: { lookup: localhostAwareLookup as never }, keepAliveTimeout: 1000 });

  async function call<T>(account: Account, code: string, spec: IntegrationCall): Promise<CallOutcome<T>> {
    const target = integrationTarget(account, code, spec.kind, spec.action);
    if ('refusal' in target) return { ok: false, refusal: target.refusal, status: null };
    const fields = new URLSearchParams({ clientId: target.clientId });
    if (spec.method === 'POST') fields.append(spec.action, JSON.stringify(spec.input));
    else for (const [name, value] of Object.entries(spec.input)) if (value !== undefined) fields.append(name, String(value));
    let status: number;
    let contentType: string;
    let bytes: Buffer;
    try {
      const response = await request(spec.method === 'GET' ? `${target.url}${target.url.includes('?') ? '&' : '?'}${fields}` : target.url, {
        method: spec.method,
        dispatcher: agent,
        ...(spec.method === 'POST' ? { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: fields.toString() } : {}),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      status = response.statusCode;
      contentType = String(response.headers['content-type'] ?? '');
      bytes = Buffer.from(await response.body.arrayBuffer());
      if (bytes.length > MAX_ANSWER) return { ok: false, refusal: 'The module answered more than 2 MB', status };
    } catch (error) {
      const reason = error instanceof Error && error.name === 'TimeoutError' ? 'did not answer in time' : 'could not be reached';
      return { ok: false, refusal: `The module ${reason}`, status: null };
    }
    // A file answer (print): any 2xx that is not JSON.
    if (spec.result === null && status >= 200 && status < 300 && !contentType.includes('json'))
      return { ok: true, result: undefined as T, status, contentType, bytes };
    let body: unknown;
    try {
      body = JSON.parse(bytes.toString('utf8'));
    } catch {
      return { ok: false, refusal: `The module's answer is not JSON (HTTP ${status})`, status };
    }
    const envelope = body as { success?: unknown; errorMsg?: unknown; result?: unknown };
    // §21.1: the CRM keys off `success` and shows `errorMsg`, whatever the status.
    if (envelope?.success !== true) {
      const text = typeof envelope?.errorMsg === 'string' && envelope.errorMsg !== '' ? envelope.errorMsg : `The module refused (HTTP ${status})`;
      return { ok: false, refusal: text, status };
    }
    if (status < 200 || status >= 300) return { ok: false, refusal: `The module answered HTTP ${status}`, status };
    if (spec.result === undefined || spec.result === null) return { ok: true, result: undefined as T, status, contentType, bytes };
    const parsed = spec.result.safeParse(envelope.result);
    if (!parsed.success) {
      const where = parsed.error.issues.slice(0, MAX_ISSUES).map((issue) => `${['result', ...issue.path].join('.')}: ${issue.message}`);
      return { ok: false, refusal: `The module's answer is not in the CRM's shape: ${where.join('; ')}`, status };
    }
    return { ok: true, result: parsed.data as T, status, contentType, bytes };
  }

  return { call, close: () => agent.close() };
}

export type IntegrationCaller = ReturnType<typeof createIntegrationCaller>;
