/**
 * API paths (PROTOCOL §2.1) and the CRM admin pages modules send people to (PROTOCOL §12).
 */
export const ApiPath = {
  apiVersions: '/api/api-versions',
  credentials: '/api/credentials',
  systemInfo: '/api/system-info',
  sites: '/api/v5/reference/sites',
  integrationModule: (code: string) => `/api/v5/integration-modules/${encodeURIComponent(code)}`,
  integrationModuleEdit: (code: string) => `/api/v5/integration-modules/${encodeURIComponent(code)}/edit`,
  updateScopes: (code: string) => `/api/v5/integration-modules/${encodeURIComponent(code)}/update-scopes`,
} as const;

/**
 * `/api/telephony/*` and `/api/v{n}/telephony/*`: the paths the CRM rate-limits at 40/s instead of 10/s
 * (PROTOCOL §18). The client's limiter and the emulator's both read this one definition.
 */
export const TELEPHONY_PATH_PATTERN = /^\/api\/(?:v\d+\/)?telephony\//;

/** Whether a path (no query) draws on the telephony budget (PROTOCOL §18). */
export function isTelephonyPath(path: string): boolean {
  return TELEPHONY_PATH_PATTERN.test(path);
}

/** The CRM page listing the account's integrations: where step 6 sends the user by default. */
export const ADMIN_INTEGRATION_LIST_PATH = '/admin/integration/list';
