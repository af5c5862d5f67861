/**
 * Inputs of the control API, shared by its HTTP routes and the handle's methods (one implementation).
 * @module
 */
import { z } from 'zod';
import { AbsoluteUrl, INTEGRATION_CODE_PATTERN, isKnownScope, SiteAccess } from '../protocol/index.js';
import { EmulatorRequestError } from './errors.js';

/** A DNS label, since the account name becomes `{name}.localhost`. */
export const ACCOUNT_NAME_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export const SiteInput = z.object({
  code: z.string().regex(/^[A-Za-z0-9_-]+$/, 'only Latin letters, digits, "-" and "_"'),
  name: z.string().min(1),
  url: z.string().optional(),
  defaultForCrm: z.boolean().optional(),
});
export type SiteInput = z.infer<typeof SiteInput>;

export const CreateAccountInput = z.object({
  name: z.string().regex(ACCOUNT_NAME_PATTERN, 'lowercase letters, digits and "-" (a DNS label)'),
  apiVersions: z.array(z.string().regex(/^\d+\.\d+$/, 'like "5.0"')).optional(),
  sites: z.array(SiteInput).min(1).optional(),
});
export type CreateAccountInput = z.input<typeof CreateAccountInput>;

/** `renameAccount`: the account's new name, a DNS label like the first. */
export const RenameAccountInput = z.object({
  name: z.string().regex(ACCOUNT_NAME_PATTERN, 'lowercase letters, digits and "-" (a DNS label)'),
});

export const CreateApiKeyInput = z.object({
  scopes: z.array(z.string().refine((s) => isKnownScope(s), 'unknown scope')).optional(),
  credentials: z.array(z.string().startsWith('/api/', 'a path starting with /api/')).optional(),
  siteAccess: SiteAccess.optional(),
  sitesAvailable: z.array(z.string()).optional(),
});
export type CreateApiKeyInput = z.input<typeof CreateApiKeyInput>;

export const ActivityInput = z.object({
  active: z.boolean().optional(),
  freeze: z.boolean().optional(),
  /** Sent instead of the account URL, e.g. to simulate a changed account domain. */
  systemUrl: z.string().optional(),
});
export type ActivityInput = z.input<typeof ActivityInput>;

/**
 * A module published in the (emulated) partner cabinet: the classic connection (Connect sends the person to
 * `accountUrl`), the simple connection (`configUrl` + the cabinet's `secret`, PROTOCOL §13.1), or both. With a
 * `configUrl`, Connect performs the simple connection.
 */
export const MarketplaceListingInput = z
  .object({
    integrationCode: z.string().regex(INTEGRATION_CODE_PATTERN, 'only Latin letters, digits, "-" and "_"'),
    name: z.string().min(1),
    logo: AbsoluteUrl.optional(),
    description: z.string().optional(),
    accountUrl: AbsoluteUrl.optional(),
    configUrl: AbsoluteUrl.optional(),
    secret: z.string().min(1).optional(),
  })
  .refine((l) => (l.configUrl === undefined) === (l.secret === undefined), {
    message: 'configUrl and secret go together (the simple connection needs both)',
  })
  .refine((l) => l.accountUrl !== undefined || l.configUrl !== undefined, {
    message: 'give accountUrl (classic connection), configUrl + secret (simple connection), or both',
  });
export type MarketplaceListingInput = z.input<typeof MarketplaceListingInput>;

/**
 * A fault rule. `path` matches the request path exactly, or as a prefix when it ends with `*`
 * (`/api/v5/*`). Without `status` and `reset` the rule only delays (`delayMs`) and the call then proceeds.
 */
export const FaultInput = z
  .object({
    account: z.string().optional(),
    method: z.string().transform((m) => m.toUpperCase()).optional(),
    path: z.string().startsWith('/'),
    status: z.number().int().min(100).max(599).optional(),
    body: z.union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())]).optional(),
    contentType: z.string().min(1).optional(),
    delayMs: z.number().int().min(0).max(120_000).optional(),
    reset: z.boolean().optional(),
    /**
     * Let the call run, then replace its answer (`status`, `reset`, or only `delayMs` before answering): the CRM
     * did the work but the module never hears of it, the lost answer a retried `edit` must survive.
     */
    after: z.boolean().optional(),
    times: z.number().int().min(1).optional(),
  })
  .refine((f) => f.status !== undefined || f.reset === true || (f.delayMs ?? 0) > 0, {
    message: 'a fault needs status, reset or delayMs',
  });
export type FaultInput = z.input<typeof FaultInput>;

/** Parses control input, throwing one EmulatorRequestError that names every problem. */
export function parseControl<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  throw new EmulatorRequestError(
    parsed.error.issues.map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message)),
  );
}
