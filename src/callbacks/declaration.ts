/**
 * Callbacks as declarations (STYLE B1–B4): a module names each callback the CRM may send it, with the schema of
 * its input and one handler that answers by returning. The kit derives the routes and the registration's
 * `actions` from the same declarations, so nothing is served unregistered or registered unserved.
 * @module
 */
import type { z } from 'zod';
import type { ConnectKit } from '../connect/kit.js';
import type { CrmClient } from '../crm/types.js';
import { ErrorCode, KitError } from '../errors.js';
import type { Locale } from '../i18n/index.js';
import type { Connection } from '../store/types.js';
import { CALLBACK_GROUPS, RESERVED_ACTIONS, type CallbackGroupName, type CallbackKind } from './kinds.js';
import type { DeliveryCallbacks } from './delivery.js';
import type { PaymentCallbacks } from './payment.js';

/** What a handler gets: the connection the `clientId` names, a client for its account, the parsed input. */
export interface CallbackContext<Input> {
  readonly connection: Connection;
  /** A client for the connection's account (same rate limit, retries and address guard as every other call). */
  readonly crm: CrmClient;
  readonly input: Input;
  /** The account's language as the CRM reported it (`settings` callback), else English: for texts the CRM user sees. */
  readonly locale: Locale;
  /** Aborts when the callback's deadline passes (the CRM has stopped waiting). */
  readonly signal: AbortSignal;
}

/**
 * A refusal meant for the person in the CRM: the kit answers `{ success: false, errorMsg: message }` with `status`
 * (default 400). Any other error is logged and answered with a generic message.
 */
export class CallbackError extends KitError {
  readonly code = ErrorCode.CallbackRefused;
  constructor(
    message: string,
    readonly status: 400 | 403 | 404 | 409 | 422 = 400,
  ) {
    super(message, { params: { details: message } });
  }
}

/**
 * An answer that is a file, not the JSON envelope: what delivery `print` returns (a PDF, or a zip of several,
 * PROTOCOL-INTEGRATIONS §21.1). Return one from a handler; refusals still go through `CallbackError`.
 */
export class CallbackFile {
  constructor(
    readonly contentType: 'application/pdf' | 'application/zip' | (string & {}),
    readonly body: Uint8Array,
    readonly fileName?: string,
  ) {}
}

export interface CallbackDeclaration<Input extends z.ZodType = z.ZodType, Output extends z.ZodType = z.ZodType> {
  /** Path under `baseUrl`. Default `/callback/<action>`. */
  readonly path?: string;
  /** Default: the kind's (POST for top-level actions). */
  readonly method?: 'POST' | 'GET';
  /**
   * The form field (query parameter for GET) holding the input as JSON. Default: the kind's, else the action's
   * name (the CRM's convention, PROTOCOL-INTEGRATIONS §21.1). `null`: the input is the plain fields, minus `clientId`.
   */
  readonly field?: string | null;
  /** Schema of the input; the handler is typed from it. Kinds the kit knows (`kinds.ts`) bring their own. */
  readonly input: Input;
  /** Schema of the `result`; checked before answering (a mismatch is a 500 outside production, logged in it). */
  readonly output?: Output;
  /** How long the CRM is assumed to wait. Default 10 s (PROTOCOL-INTEGRATIONS §26 #1). */
  readonly timeoutMs?: number;
  /** Returns the `result` of `{ success: true, result }` (nothing: `{ success: true }`); throws `CallbackError` to refuse. */
  handle(context: CallbackContext<z.output<Input>>): unknown;
}

/** Types a declaration from its schemas (an identity function; the point is inference). */
export function defineCallback<Input extends z.ZodType, Output extends z.ZodType = z.ZodUnknown>(
  declaration: CallbackDeclaration<Input, Output> & { handle(context: CallbackContext<z.output<Input>>): z.input<Output> | void | Promise<z.input<Output> | void> },
): CallbackDeclaration<Input, Output> {
  return declaration;
}

/** `defineModule({ callbacks })`: groups keyed as the CRM keys them; top-level `actions` takes any action name. */
export interface CallbacksInput {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly actions?: Readonly<Record<string, CallbackDeclaration<any, any>>>;
  /** A delivery service's callbacks (docs/guide/delivery.md); the schemas are the CRM's, the handlers typed from them. */
  readonly delivery?: DeliveryCallbacks;
  /** A payment gateway's callbacks (docs/guide/payment.md). */
  readonly payment?: PaymentCallbacks;
}

/** One declaration, resolved: what the routes, the dispatch and the registration read. */
export interface DeclaredCallback {
  readonly group: CallbackGroupName;
  readonly action: string;
  /** Relative to `baseUrl`, with a leading slash. */
  readonly path: string;
  readonly method: 'POST' | 'GET';
  readonly field: string | null;
  readonly input: z.ZodType;
  readonly output: z.ZodType | undefined;
  readonly whenInactive: boolean;
  readonly timeoutMs: number;
  /** Built-in callbacks also get the kit (they write to the store). */
  readonly handle: (context: CallbackContext<unknown>, kit: ConnectKit) => unknown;
}

export const DEFAULT_CALLBACK_TIMEOUT_MS = 10_000;
const ACTION_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/**
 * Checks declarations and resolves defaults. Every problem is returned at once, by path (B4); `defineModule`
 * throws them together with its own.
 */
export function resolveCallbacks(
  input: CallbacksInput | undefined,
  builtin: readonly DeclaredCallback[],
): { callbacks: DeclaredCallback[]; problems: string[] } {
  const problems: string[] = [];
  const callbacks: DeclaredCallback[] = [...builtin];
  for (const [groupName, declarations] of Object.entries(input ?? {})) {
    if (!(groupName in CALLBACK_GROUPS)) {
      problems.push(`callbacks.${groupName}: unknown group (known: ${Object.keys(CALLBACK_GROUPS).join(', ')})`);
      continue;
    }
    const group = CALLBACK_GROUPS[groupName as CallbackGroupName];
    if (groupName === 'payment' && declarations && !('create' in declarations))
      problems.push('callbacks.payment.create is required: the CRM creates every payment through it');
    for (const [action, declaration] of Object.entries(declarations ?? {}) as [string, Partial<CallbackDeclaration> | undefined][]) {
      const at = `callbacks.${groupName}.${action}`;
      const kind: CallbackKind | undefined = (group.known as Record<string, CallbackKind>)[action];
      if (!ACTION_NAME.test(action)) problems.push(`${at}: action names are Latin letters, digits, "-" and "_"`);
      if (RESERVED_ACTIONS.has(action) || builtin.some((b) => b.group === groupName && b.action === action)) {
        problems.push(`${at}: served by the kit itself${action === 'settings' ? ' (use hooks.onCrmSettings)' : ''}`);
        continue;
      }
      if (!kind && !group.openEnded) problems.push(`${at}: unknown action (known: ${Object.keys(group.known).join(', ')})`);
      if (typeof declaration?.handle !== 'function') problems.push(`${at}.handle must be a function`);
      // A known kind brings its own schema (the CRM's shape); an open-ended action must declare one.
      const input = declaration?.input ?? kind?.input;
      if (!input || typeof (input as { safeParse?: unknown }).safeParse !== 'function') problems.push(`${at}.input must be a zod schema`);
      const path = declaration?.path ?? (groupName === 'actions' ? `/callback/${action}` : `/callback/${groupName}/${action}`);
      if (!path.startsWith('/') || /[?#\s]/.test(path)) problems.push(`${at}.path must start with "/" and have no query, fragment or spaces`);
      const field = declaration?.field === undefined ? (kind ? kind.field : action) : declaration.field;
      if (field !== null && !FIELD_NAME.test(field)) problems.push(`${at}.field must be a form field name`);
      const timeoutMs = declaration?.timeoutMs ?? DEFAULT_CALLBACK_TIMEOUT_MS;
      if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 120_000) problems.push(`${at}.timeoutMs must be 1 to 120000`);
      if (declaration?.output !== undefined && typeof (declaration.output as { safeParse?: unknown }).safeParse !== 'function')
        problems.push(`${at}.output must be a zod schema`);
      if (problems.length > 0) continue;
      callbacks.push(
        Object.freeze({
          group: groupName as CallbackGroupName,
          action,
          path,
          method: kind?.method ?? declaration!.method ?? 'POST',
          field,
          input: input as z.ZodType,
          // A known kind's answer is checked with the CRM's shape (D3); a declaration's own `output` applies only to open-ended actions.
          output: kind?.output ?? declaration!.output,
          whenInactive: kind?.whenInactive ?? false,
          timeoutMs,
          handle: (context: CallbackContext<unknown>) => declaration!.handle!(context as never),
        }),
      );
    }
  }
  const seen = new Map<string, string>();
  for (const callback of callbacks) {
    const key = `${callback.method} ${callback.path}`;
    const other = seen.get(key);
    if (other) problems.push(`callbacks: ${callback.group}.${callback.action} and ${other} share ${key}`);
    seen.set(key, `${callback.group}.${callback.action}`);
  }
  return { callbacks, problems };
}
