/**
 * Control operations over an account's business data: seeding, orders and customers made "by a person",
 * notifications modules sent, the system settings (which the CRM reports to modules through the `settings`
 * callback), and any other callback a module registered. Shared by the handle and `/_emulator/*`.
 * @module
 */
import type { FastifyInstance } from 'fastify';
import { Agent, request } from 'undici';
import { z } from 'zod';
import {
  CrmSystemSettings,
  CustomerWrite,
  CustomFieldEntity,
  CustomFieldWrite,
  OrderWrite,
} from '../protocol/index.js';
import { callbackUrl, localhostAwareLookup } from './activity.js';
import { parseControl } from './control-schemas.js';
import {
  createCustomer,
  createCustomField,
  createOrder,
  dataOf,
  EntityProblems,
  type SentNotification,
  type StoredCustomer,
  type StoredOrder,
} from './crm-data.js';
import { EmulatorNotFoundError, EmulatorRequestError } from './errors.js';
import type { Account } from './state.js';

const ReferenceSeed = z.looseObject({ code: z.string().min(1), name: z.string().min(1), active: z.boolean().optional() });

/** What `seed` accepts: lists replace the defaults; customers, orders and fields are added. */
export const SeedInput = z.strictObject({
  stores: z.array(ReferenceSeed).optional(),
  orderTypes: z.array(ReferenceSeed).optional(),
  statuses: z.array(ReferenceSeed).optional(),
  paymentTypes: z.array(ReferenceSeed).optional(),
  deliveryTypes: z.array(ReferenceSeed).optional(),
  customFields: z.array(CustomFieldWrite.extend({ entity: CustomFieldEntity })).optional(),
  customers: z.array(CustomerWrite.extend({ site: z.string().optional() })).optional(),
  orders: z.array(OrderWrite.extend({ site: z.string().optional() })).optional(),
  systemSettings: CrmSystemSettings.optional(),
  features: z.record(z.string(), z.boolean()).optional(),
});
export type SeedInput = z.input<typeof SeedInput>;

export const CallbackInput = z.strictObject({
  /** Form fields besides `clientId` (added by the emulator); objects are sent as JSON text. */
  fields: z.record(z.string(), z.unknown()).optional(),
  method: z.enum(['GET', 'POST']).optional(),
  /** An integration's callback (`integrations[group].actions[action]`, e.g. `delivery`); default: the top-level `actions`. */
  group: z.string().regex(/^[A-Za-z]+$/).optional(),
});
export type CallbackInput = z.input<typeof CallbackInput>;

/** What a module answered to a callback the emulator sent. */
export interface CallbackOutcome {
  readonly delivered: boolean;
  readonly status: number | null;
  readonly body: string | null;
  readonly error?: string;
  readonly url?: string;
}

export interface ResourceControl {
  /** Replaces reference lists and adds customers, orders, custom fields (validated as the API would). */
  seed(account: string, input: SeedInput): { orders: number; customers: number };
  /** An order made by a person on the order page (history `source: user`). */
  createOrder(account: string, order: z.input<typeof OrderWrite> & { site?: string }): StoredOrder;
  orders(account: string): StoredOrder[];
  createCustomer(account: string, customer: z.input<typeof CustomerWrite> & { site?: string }): StoredCustomer;
  customers(account: string): StoredCustomer[];
  /** Notifications modules sent, oldest first. */
  notifications(account: string): SentNotification[];
  /** Changes the system settings and sends the `settings` callback (the changed keys) to every module that declares it. */
  setSystemSettings(account: string, settings: z.input<typeof CrmSystemSettings>): Promise<Record<string, CallbackOutcome>>;
  /** Sends a module's declared top-level callback (`actions[action]`), `clientId` first, as the CRM does. */
  sendCallback(account: string, code: string, action: string, input?: CallbackInput): Promise<CallbackOutcome>;
}

const BODY_LIMIT = 2000;

export function createResourceControl(deps: { account(name: string): Account; timeoutMs: number }): ResourceControl & { close(): Promise<void> } {
  const agent = new Agent({ connect: { lookup: localhostAwareLookup as never }, keepAliveTimeout: 1000 });

  const entityProblems = <T>(work: () => T): T => {
    try {
      return work();
    } catch (error) {
      if (error instanceof EntityProblems) throw new EmulatorRequestError(Object.entries(error.errors).map(([field, text]) => `${field}: ${text}`));
      throw error;
    }
  };

  async function send(account: Account, code: string, action: string, input: z.output<typeof CallbackInput>): Promise<CallbackOutcome> {
    const module = account.modules.get(code);
    if (module === undefined) throw new EmulatorNotFoundError('integration module', code);
    const { baseUrl, actions, clientId } = module.registration;
    const integration = input.group === undefined ? undefined : (module.registration.integrations as Record<string, { actions?: Record<string, unknown> }> | undefined)?.[input.group];
    const declared = input.group === undefined ? actions?.[action] : integration?.actions?.[action];
    const path = typeof declared === 'string' ? declared : undefined;
    const name = input.group === undefined ? action : `${input.group}.${action}`;
    if (baseUrl === undefined || path === undefined) return { delivered: false, status: null, body: null, error: `the module registered no "${name}" callback` };
    const url = callbackUrl(baseUrl, path);
    const fields = new URLSearchParams({ clientId });
    for (const [name, value] of Object.entries(input.fields ?? {}))
      fields.append(name, typeof value === 'string' ? value : JSON.stringify(value));
    const method = input.method ?? 'POST';
    try {
      const response = await request(method === 'GET' ? `${url}${url.includes('?') ? '&' : '?'}${fields}` : url, {
        method,
        dispatcher: agent,
        ...(method === 'POST' ? { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: fields.toString() } : {}),
        signal: AbortSignal.timeout(deps.timeoutMs),
      });
      const body = (await response.body.text()).slice(0, BODY_LIMIT);
      let success = false;
      try {
        success = (JSON.parse(body) as { success?: unknown }).success === true;
      } catch {
        // Not JSON: a failure, as the CRM reads it (PROTOCOL-INTEGRATIONS §21.1).
      }
      return { delivered: response.statusCode >= 200 && response.statusCode < 300 && success, status: response.statusCode, body, url };
    } catch (error) {
      return { delivered: false, status: null, body: null, error: error instanceof Error ? `${error.name}: ${error.message}` : String(error), url };
    }
  }

  return {
    seed(name, raw) {
      const input = parseControl(SeedInput, raw);
      const account = deps.account(name);
      const data = dataOf(account);
      const replace = (target: Map<string, Record<string, unknown>>, items: readonly Record<string, unknown>[] | undefined) => {
        if (items === undefined) return;
        target.clear();
        for (const item of items) target.set(String(item.code), { active: true, ...item });
      };
      if (input.stores) data.stores.splice(0, data.stores.length, ...input.stores.map((s) => ({ active: true, ...s })));
      replace(data.orderTypes, input.orderTypes);
      replace(data.statuses, input.statuses);
      replace(data.paymentTypes, input.paymentTypes);
      replace(data.deliveryTypes, input.deliveryTypes);
      if (input.systemSettings) data.systemSettings = { ...data.systemSettings, ...input.systemSettings };
      for (const [feature, available] of Object.entries(input.features ?? {})) data.features.set(feature, available);
      entityProblems(() => {
        for (const { entity, ...field } of input.customFields ?? []) createCustomField(account, entity, field);
        for (const { site, ...customer } of input.customers ?? []) createCustomer(account, customer, site);
        for (const { site, ...order } of input.orders ?? []) createOrder(account, order, site, { source: 'code' });
      });
      return { orders: input.orders?.length ?? 0, customers: input.customers?.length ?? 0 };
    },
    createOrder(name, raw) {
      const { site, ...order } = parseControl(OrderWrite.extend({ site: z.string().optional() }), raw);
      return entityProblems(() => createOrder(deps.account(name), order, site, { source: 'user' }));
    },
    orders: (name) => [...dataOf(deps.account(name)).orders],
    createCustomer(name, raw) {
      const { site, ...customer } = parseControl(CustomerWrite.extend({ site: z.string().optional() }), raw);
      return entityProblems(() => createCustomer(deps.account(name), customer, site));
    },
    customers: (name) => [...dataOf(deps.account(name)).customers],
    notifications: (name) => [...dataOf(deps.account(name)).notifications],
    async setSystemSettings(name, raw) {
      const changed = parseControl(CrmSystemSettings, raw);
      const account = deps.account(name);
      const data = dataOf(account);
      data.systemSettings = { ...data.systemSettings, ...changed };
      const outcomes: Record<string, CallbackOutcome> = {};
      for (const [code, module] of account.modules) {
        if (!module.active || module.registration.actions?.['settings'] === undefined) continue;
        outcomes[code] = await send(account, code, 'settings', { fields: { settings: changed } });
      }
      return outcomes;
    },
    sendCallback: (name, code, action, raw) => send(deps.account(name), code, action, parseControl(CallbackInput, raw ?? {})),
    close: () => agent.close(),
  };
}

type Name = { Params: { name: string } };

/** `/_emulator/accounts/:name/…` routes over {@link ResourceControl}. */
export function resourceControlRoutes(app: FastifyInstance, control: ResourceControl): void {
  app.post<Name>('/_emulator/accounts/:name/seed', async (request) => control.seed(request.params.name, request.body as never));
  app.get<Name>('/_emulator/accounts/:name/orders', async (request) => ({ orders: control.orders(request.params.name) }));
  app.post<Name>('/_emulator/accounts/:name/orders', async (request, reply) =>
    reply.code(201).send({ order: control.createOrder(request.params.name, request.body as never) }),
  );
  app.get<Name>('/_emulator/accounts/:name/customers', async (request) => ({ customers: control.customers(request.params.name) }));
  app.post<Name>('/_emulator/accounts/:name/customers', async (request, reply) =>
    reply.code(201).send({ customer: control.createCustomer(request.params.name, request.body as never) }),
  );
  app.get<Name>('/_emulator/accounts/:name/notifications', async (request) => ({ notifications: control.notifications(request.params.name) }));
  app.post<Name>('/_emulator/accounts/:name/settings', async (request) => ({
    callbacks: await control.setSystemSettings(request.params.name, request.body as never),
  }));
  app.post<{ Params: { name: string; code: string; action: string } }>(
    '/_emulator/accounts/:name/integration-modules/:code/callbacks/:action',
    async (request) => control.sendCallback(request.params.name, request.params.code, request.params.action, request.body as never),
  );
}
