/**
 * The callback kinds the kit knows, as data (STYLE B1): where each group's `actions` map goes in the
 * registration, and for each known action its HTTP method, the form field that carries its JSON, and the schema
 * of that JSON (shared with the emulator, `src/protocol/`).
 *
 * Adding a kind: its schema in `src/protocol/`, a row here, and (for typed handlers) its entry in
 * `CallbacksInput` in `declaration.ts`. Nothing else changes: routes, registration and dispatch read this table.
 * @module
 */
import type { z } from 'zod';
import { CrmSystemSettings } from '../protocol/index.js';
import { DELIVERY_KINDS } from './delivery.js';
import { PAYMENT_KINDS } from './payment.js';

/** How the CRM calls one action. */
export interface CallbackKind {
  readonly method: 'POST' | 'GET';
  /**
   * The form field (POST) or query parameter (GET) holding the input as JSON (§21.1: named after the action).
   * `null`: the input is the plain fields themselves, minus `clientId`.
   */
  readonly field: string | null;
  readonly input: z.ZodType;
  /** The `result` the CRM takes, checked before answering (the module may not loosen it). */
  readonly output?: z.ZodType | undefined;
  /** Whether the CRM may send it while the module is off or frozen (the settings callback reports regardless). */
  readonly whenInactive: boolean;
}

export interface CallbackGroup {
  /** Where the group's `{ action: path }` map goes in `integrationModule`: `['actions']`, or `['integrations', 'delivery', 'actions']`. */
  readonly place: readonly string[];
  /** Actions with a fixed shape; a group that allows others (top-level `actions`) takes any name. */
  readonly known: Readonly<Record<string, CallbackKind>>;
  readonly openEnded: boolean;
}

export const CALLBACK_GROUPS = Object.freeze({
  /** `integrationModule.actions` (PROTOCOL-INTEGRATIONS §20.2): `activity` is the kit's own, `settings` is built in. */
  actions: Object.freeze({
    place: ['actions'],
    known: Object.freeze({
      settings: Object.freeze({ method: 'POST', field: 'settings', input: CrmSystemSettings, whenInactive: true }),
    }),
    openEnded: true,
  }),
  /** `integrations.delivery.actions` (§20.3.1, §21). */
  delivery: Object.freeze({ place: ['integrations', 'delivery', 'actions'], known: DELIVERY_KINDS, openEnded: false }),
  /** `integrations.payment.actions` (§20.4, §22). */
  payment: Object.freeze({ place: ['integrations', 'payment', 'actions'], known: PAYMENT_KINDS, openEnded: false }),
} satisfies Record<string, CallbackGroup>);

export type CallbackGroupName = keyof typeof CALLBACK_GROUPS;

/** Top-level action names the kit serves itself; a module may not declare them. */
export const RESERVED_ACTIONS: ReadonlySet<string> = new Set(['activity']);
