/**
 * The `integrationModule` object: what a module registers with `edit` and what `GET` returns.
 * One schema serves both sides: the emulator validates `edit` bodies with it, the module builds them with it.
 * @see ../../../shared/PROTOCOL.md §6, §7, §8, §9, §18 (required fields)
 */
import { z } from 'zod';
import { successEnvelope } from './envelope.js';
import { DeliveryConfiguration } from './delivery.js';
import { PaymentConfiguration } from './payment.js';

/** Marketplace-wide symbol code: Latin letters, digits, `-` and `_` (PROTOCOL §1, DOC). */
export const INTEGRATION_CODE_PATTERN = /^[A-Za-z0-9_-]+$/;
/** mg-core stores clientIds in varchar(70); real ones are 13–64 characters (PROTOCOL §6). */
export const CLIENT_ID_MAX_LENGTH = 70;

/** An absolute http(s) URL. The real CRM accepts `http://` (PROTOCOL §18), so the schema does too. */
export const AbsoluteUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}, 'must be an absolute http(s) URL');

export const ModuleActions = z.record(z.string(), z.string().min(1));

/** Per-integration-type blocks (mgTransport, delivery, payment, embedJs…); passed through as given. */
export const ModuleIntegrations = z.record(z.string(), z.unknown());

export const IntegrationModuleFields = {
  code: z.string().min(1).max(255),
  integrationCode: z.string().regex(INTEGRATION_CODE_PATTERN, 'only Latin letters, digits, "-" and "_"').optional(),
  active: z.boolean().optional(),
  name: z.string().min(1).max(255),
  logo: AbsoluteUrl.optional(),
  clientId: z.string().min(1).max(CLIENT_ID_MAX_LENGTH),
  baseUrl: AbsoluteUrl.optional(),
  actions: ModuleActions.optional(),
  availableCountries: z.array(z.string().regex(/^[A-Z]{2}$/, 'ISO 3166 alpha-2 code')).optional(),
  accountUrl: AbsoluteUrl.optional(),
  integrations: ModuleIntegrations.optional(),
};

/** The body of `POST /api/v5/integration-modules/{code}/edit` (form field `integrationModule`, JSON). */
export const IntegrationModuleEdit = z
  .looseObject(IntegrationModuleFields)
  .superRefine((module, ctx) => {
    // PROTOCOL §1: the CRM enforces that an instance code starts with the marketplace code.
    if (module.integrationCode !== undefined && !module.code.startsWith(module.integrationCode)) {
      ctx.addIssue({ code: 'custom', path: ['code'], message: 'Code prefix must match integrationCode' });
    }
    // Delivery and payment blocks: their types (INTEGRATIONS §20.10), so a module that registers here registers there.
    for (const [kind, schema] of [['delivery', DeliveryConfiguration], ['payment', PaymentConfiguration]] as const) {
      const block = module.integrations?.[kind];
      if (block === undefined) continue;
      const parsed = schema.safeParse(block);
      if (!parsed.success) for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', path: ['integrations', kind, ...issue.path], message: issue.message });
      else if (parsed.data.actions !== undefined && module.baseUrl === undefined)
        ctx.addIssue({ code: 'custom', path: ['baseUrl'], message: 'baseUrl is required when actions are given' });
    }
    if (module.actions !== undefined && module.baseUrl === undefined) {
      ctx.addIssue({ code: 'custom', path: ['baseUrl'], message: 'baseUrl is required when actions are given' });
    }
  });
export type IntegrationModuleEdit = z.infer<typeof IntegrationModuleEdit>;

/** What `GET /api/v5/integration-modules/{code}` returns: the registration plus CRM-owned flags. */
export const IntegrationModule = z.looseObject({
  ...IntegrationModuleFields,
  active: z.boolean(),
  freeze: z.boolean().default(false),
  native: z.boolean().default(false),
});
export type IntegrationModule = z.infer<typeof IntegrationModule>;

export const IntegrationModuleResponse = successEnvelope({ integrationModule: IntegrationModule });
export type IntegrationModuleResponse = z.infer<typeof IntegrationModuleResponse>;

/**
 * `info` of a successful edit: service tokens for some module types, or an empty JSON array `[]`
 * for modules with none (PROTOCOL §7).
 */
export const EditInfo = z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())]);
export const IntegrationModuleEditResponse = successEnvelope({ info: EditInfo.optional() });
export type IntegrationModuleEditResponse = z.infer<typeof IntegrationModuleEditResponse>;

/** `POST /api/v5/integration-modules/{code}/update-scopes`: form field `requires` (JSON). */
export const UpdateScopesRequest = z.object({ scopes: z.array(z.string().min(1)).min(1) });
export type UpdateScopesRequest = z.infer<typeof UpdateScopesRequest>;
export const UpdateScopesResponse = successEnvelope({ apiKey: z.string().min(1) });
export type UpdateScopesResponse = z.infer<typeof UpdateScopesResponse>;
