/**
 * The module the chaos runs drive: settings that change the registration (the currency goes into
 * `integrations`), a `validateSettings` that calls the CRM (one more call to fault), and an `onConnected` that
 * records every call, so the runs can count `created: true` per connection. Shared by the in-process world and
 * the child process that gets SIGKILLed (`module-child.ts`).
 */
import { z } from 'zod';
import { defineModule } from '../../src/connect/module-definition.js';
import type { RetryPolicy } from '../../src/crm/retry.js';

export const CHAOS_CODE = 'chaos-sync';
export const CHAOS_SECRET = 'chaos-partner-secret';
export const CURRENCIES = ['RUB', 'USD', 'EUR'] as const;
export type Currency = (typeof CURRENCIES)[number];

/** One attempt per CRM call is cut off after this long; a delay fault waits longer, so it is past the deadline. */
export const CHAOS_REQUEST_TIMEOUT_MS = 300;
/** How long a delay fault holds a call (past the attempt's timeout); the CRM still does the work afterwards. */
export const CHAOS_DELAY_MS = 450;

/** Four retries without waiting, the whole call within 1.2 s: faults that outlast it fail the attempt. */
export const chaosRetry: RetryPolicy = Object.freeze({
  name: 'chaos',
  retries: 4,
  minDelayMs: 0,
  maxDelayMs: 0,
  factor: 1,
  jitter: 0,
  deadlineMs: 1_200,
  rateLimitedMinDelayMs: 0,
  maxRetryAfterMs: 0,
});

export interface HookCall {
  readonly connectionId: string;
  readonly created: boolean;
}

export function chaosModule(baseUrl: string, onConnected: (call: HookCall) => void) {
  return defineModule({
    integrationCode: CHAOS_CODE,
    name: { en: 'Chaos sync', ru: 'Хаос', es: 'Caos' },
    logo: 'https://chaos.example/logo.svg',
    baseUrl,
    scopes: ['reference_read'],
    settings: {
      schema: z.object({ siteCode: z.string().min(1), currency: z.enum(CURRENCIES) }),
      fields: { siteCode: { label: 'Store' }, currency: { label: 'Currency' } },
    },
    integrations: (settings) => ({ payment: { currencies: [settings.currency] } }),
    simpleConnection: { secret: CHAOS_SECRET },
    hooks: {
      async validateSettings({ settings, crm }) {
        const sites = await crm.sites();
        return settings.siteCode in sites ? { ok: true } : { ok: false, fieldErrors: { siteCode: 'No such store' } };
      },
      async onConnected({ connection, created }) {
        onConnected({ connectionId: connection.id, created });
      },
    },
  });
}
