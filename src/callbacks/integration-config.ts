/**
 * The `integrations` block a module registers, typed where the kit knows the kind (delivery §20.3, payment
 * §20.4) and checked once at `defineModule` (STYLE B4), so a wrong configuration is a startup error by path,
 * not a refusal at the first connection.
 * @module
 */
import type { z } from 'zod';
import { DeliveryConfiguration, PaymentConfiguration } from '../protocol/index.js';

/** A configuration written `as const` (readonly arrays and objects) is welcome. */
type DeepReadonly<T> = T extends readonly (infer Item)[] ? readonly DeepReadonly<Item>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

export interface ModuleIntegrations {
  /** The carrier's configuration; `actions` comes from `callbacks.delivery`. */
  readonly delivery?: DeepReadonly<DeliveryConfiguration>;
  /** The gateway's configuration; `actions` comes from `callbacks.payment`. */
  readonly payment?: DeepReadonly<PaymentConfiguration>;
  /** Other kinds (mgTransport, embedJs…) are sent as given. */
  readonly [kind: string]: unknown;
}

const KNOWN: Readonly<Record<string, z.ZodType>> = { delivery: DeliveryConfiguration, payment: PaymentConfiguration };

/** Problems of the known blocks, by path (`integrations.delivery.statusList.0.code: …`). */
export function integrationProblems(integrations: Readonly<Record<string, unknown>>, at = 'integrations'): string[] {
  const problems: string[] = [];
  for (const [kind, schema] of Object.entries(KNOWN)) {
    if (integrations[kind] === undefined) continue;
    const parsed = schema.safeParse(integrations[kind]);
    if (!parsed.success)
      for (const issue of parsed.error.issues.slice(0, 10)) problems.push(`${[at, kind, ...issue.path].join('.')}: ${issue.message}`);
  }
  return problems;
}
