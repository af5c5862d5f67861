/**
 * Responses of the unversioned service methods and of the reference data a module reads while connecting.
 * @see ../../../shared/PROTOCOL.md §3, §4, §5
 */
import { z } from 'zod';
import { successEnvelope } from './envelope.js';

/** `GET /api/api-versions` → versions as `"<major>.<minor>"` strings. */
export const ApiVersionsResponse = successEnvelope({ versions: z.array(z.string()) });
export type ApiVersionsResponse = z.infer<typeof ApiVersionsResponse>;

export const SiteAccess = z.enum(['access_full', 'access_selective']);
export type SiteAccess = z.infer<typeof SiteAccess>;

/** `GET /api/credentials`: the key's rights. `credentials` is the deprecated path list. */
export const CredentialsResponse = successEnvelope({
  credentials: z.array(z.string()).default([]),
  scopes: z.array(z.string()).default([]),
  siteAccess: SiteAccess.optional(),
  sitesAvailable: z.array(z.string()).optional(),
});
export type CredentialsResponse = z.infer<typeof CredentialsResponse>;

/** `GET /api/system-info`. `technicalUrl` may differ from the customer-facing `publicUrl`. */
export const SystemInfoResponse = successEnvelope({
  systemVersion: z.string(),
  publicUrl: z.string(),
  technicalUrl: z.string().optional(),
});
export type SystemInfoResponse = z.infer<typeof SystemInfoResponse>;

/** One store ("site") of the account, as `GET /api/v5/reference/sites` lists it (a subset of fields). */
export const Site = z.looseObject({
  code: z.string(),
  name: z.string(),
  url: z.string().optional(),
  defaultForCrm: z.boolean().optional(),
});
export type Site = z.infer<typeof Site>;

/** `GET /api/v5/reference/sites` → `sites` keyed by code. */
export const SitesResponse = successEnvelope({ sites: z.record(z.string(), Site) });
export type SitesResponse = z.infer<typeof SitesResponse>;

/** True when `versions` offers the wanted major version (PROTOCOL §3: compare the major part). */
export function hasApiMajorVersion(versions: readonly string[], major: number): boolean {
  return versions.some((version) => Number.parseInt(version.split('.')[0] ?? '', 10) === major);
}
