/**
 * One callback from the CRM, from its form fields to the answer, with no HTTP framework in sight (STYLE B5): the
 * routes and the bench are thin adapters over it. Steps, in this order: find the connection by `clientId` within
 * this module, refuse it when switched off (unless the kind is sent regardless), parse the input, handle, check
 * the output. Every bad input is a 4xx in the CRM's envelope; only a failing handler is a 5xx.
 * @module
 */
import type { AccountUrl, CrmClient } from '../crm/types.js';
import type { Connection } from '../store/types.js';
import { type ConnectKit, findOwnByClientId } from '../connect/kit.js';
import { ErrorCode } from '../errors.js';
import { errorMessage, type Locale } from '../i18n/index.js';
import { CallbackError, CallbackFile, type CallbackContext, type DeclaredCallback } from './declaration.js';
import { crmLocale } from './locale.js';

export type CallbackAnswer =
  | { readonly success: true; readonly result?: unknown }
  | { readonly success: false; readonly errorMsg: string };

export interface DispatchOutcome {
  readonly status: number;
  readonly body: CallbackAnswer;
  /** Set when the handler answered with a file: sent as is instead of `body`. */
  readonly file?: CallbackFile;
  /** Set once the connection is known (for the log line). */
  readonly connectionId?: string;
}

const SUCCESS = Object.freeze({ success: true } as const);
const MAX_ISSUES = 5;

function refuse(status: number, locale: Locale, code: ErrorCode, details?: string, connectionId?: string): DispatchOutcome {
  const body = { success: false as const, errorMsg: errorMessage(locale, code, details === undefined ? {} : { details }) };
  return connectionId === undefined ? { status, body } : { status, body, connectionId };
}

/** The input of the callback: the JSON in its field, or the plain fields. `undefined` + a reason when there is none. */
function rawInput(declared: DeclaredCallback, fields: Readonly<Record<string, unknown>>): { value?: unknown; problem?: string } {
  if (declared.field === null) {
    const { clientId: _clientId, ...rest } = fields;
    return { value: rest };
  }
  const value = fields[declared.field];
  if (value === undefined || value === '') return { problem: declared.field };
  // A form field holds JSON text; a JSON body (not what the CRM sends, but harmless) already holds the value.
  if (typeof value !== 'string') return { value };
  try {
    return { value: JSON.parse(value) as unknown };
  } catch {
    return { problem: `${declared.field} (JSON)` };
  }
}

/** The account's language for the texts the CRM's user reads; English until the CRM reported one. */
const localeOf = (connection: Connection): Locale => crmLocale(connection) ?? 'en';

/**
 * The handler's context. The client, the deadline's signal (a timer) and the locale (the parsed CRM settings) are
 * made only if the handler uses them: most callbacks need none, and this is the hot path.
 */
class Context implements CallbackContext<unknown> {
  readonly #kit: Pick<ConnectKit, 'openCrm'>;
  readonly #deadline: number;
  #crm: CrmClient | undefined;
  #signal: AbortSignal | undefined;
  #locale: Locale | undefined;
  constructor(
    kit: Pick<ConnectKit, 'openCrm'>,
    readonly connection: Connection,
    readonly input: unknown,
    deadline: number,
  ) {
    this.#kit = kit;
    this.#deadline = deadline;
  }
  get locale(): Locale {
    return (this.#locale ??= localeOf(this.connection));
  }
  get crm(): CrmClient {
    return (this.#crm ??= this.#kit.openCrm(this.connection.accountUrl as AccountUrl, this.connection.apiKey));
  }
  get signal(): AbortSignal {
    return (this.#signal ??= AbortSignal.timeout(Math.max(1, Math.round(this.#deadline - performance.now()))));
  }
}

export async function dispatchCallback(
  kit: ConnectKit,
  declared: DeclaredCallback,
  fields: Readonly<Record<string, unknown>>,
): Promise<DispatchOutcome> {
  const clientId = fields.clientId;
  if (typeof clientId !== 'string' || clientId === '') return refuse(400, 'en', ErrorCode.CallbackInvalid, 'clientId');
  const connection = await findOwnByClientId(kit, clientId);
  if (!connection) return refuse(404, 'en', ErrorCode.ConnectionNotFound);
  const id = connection.id;
  if (connection.state === 'disconnected' || (!declared.whenInactive && connection.state !== 'active'))
    return refuse(403, localeOf(connection), ErrorCode.ConnectionInactive, undefined, id);

  const raw = rawInput(declared, fields);
  if (raw.problem !== undefined) return refuse(400, localeOf(connection), ErrorCode.CallbackInvalid, raw.problem, id);
  const parsed = declared.input.safeParse(raw.value);
  if (!parsed.success) {
    // Field paths only: they read the same in every language, and zod's own wording is not for the CRM's user.
    const root = declared.field ?? 'input';
    const where = [...new Set(parsed.error.issues.slice(0, MAX_ISSUES).map((issue) => [root, ...issue.path].join('.')))];
    return refuse(400, localeOf(connection), ErrorCode.CallbackInvalid, where.join(', '), id);
  }

  const context = new Context(kit, connection, parsed.data, performance.now() + declared.timeoutMs);
  let result: unknown;
  try {
    result = await declared.handle(context, kit);
  } catch (error) {
    if (error instanceof CallbackError) return { status: error.status, body: { success: false, errorMsg: error.message }, connectionId: id };
    kit.logger.error({ err: error, connectionId: id, callback: `${declared.group}.${declared.action}` }, 'callback handler failed');
    return refuse(500, context.locale, ErrorCode.CallbackFailed, undefined, id);
  }
  if (result instanceof CallbackFile) return { status: 200, body: SUCCESS, file: result, connectionId: id };
  if (declared.output !== undefined) {
    const checked = declared.output.safeParse(result);
    if (!checked.success) {
      const problems = checked.error.issues.slice(0, MAX_ISSUES).map((issue) => `${issue.path.join('.') || '(result)'}: ${issue.code}`);
      kit.logger.error({ connectionId: id, callback: `${declared.group}.${declared.action}`, problems }, 'callback result does not match its output schema');
      // In production the CRM still gets the answer (it may accept it); in development and tests the mismatch fails loudly.
      if (process.env.NODE_ENV !== 'production') return refuse(500, context.locale, ErrorCode.CallbackFailed, undefined, id);
    } else result = checked.data;
  }
  return { status: 200, body: result === undefined ? SUCCESS : { success: true, result }, connectionId: id };
}
