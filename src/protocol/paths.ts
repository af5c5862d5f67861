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

/** The CRM page listing the account's integrations: where step 6 sends the user by default. */
export const ADMIN_INTEGRATION_LIST_PATH = '/admin/integration/list';
