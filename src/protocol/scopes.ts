/**
 * API-key rights: named scopes (current) and legacy credential paths (older accounts).
 * @see ../../../shared/PROTOCOL.md §4, §18 (scopes)
 */

const SCOPE_FAMILIES = [
  'order', 'customer', 'store', 'reference', 'telephony', 'delivery', 'user', 'task', 'custom_fields',
  'integration', 'cost', 'payments', 'file', 'loyalty', 'verification',
] as const;

type ScopeFamily = (typeof SCOPE_FAMILIES)[number];

/** A right an API key may have, by name: what a module lists in `scopes` (PROTOCOL §18). */
export type Scope = `${ScopeFamily}_read` | `${ScopeFamily}_write` | 'analytics_write' | 'segment_read';

/** The 32 scope names seen in the vendor's own module (PROTOCOL §18). */
export const KNOWN_SCOPES: readonly Scope[] = Object.freeze([
  ...SCOPE_FAMILIES.flatMap((family) => [`${family}_read` as const, `${family}_write` as const]),
  'analytics_write' as const,
  'segment_read' as const,
]);

export function isKnownScope(name: string): name is Scope {
  return (KNOWN_SCOPES as readonly string[]).includes(name);
}

/** The rights a module needs to register itself (PROTOCOL §4.1). */
export const REGISTRATION_SCOPES = Object.freeze(['integration_read', 'integration_write'] as const);
export const REGISTRATION_CREDENTIALS = Object.freeze([
  '/api/integration-modules/{code}',
  '/api/integration-modules/{code}/edit',
] as const);

/**
 * Legacy credential paths implied by a scope, where the pairing is known (PROTOCOL §18) or follows the
 * API's path layout. Paths carry no version segment (PROTOCOL §4).
 */
export const LEGACY_CREDENTIALS_BY_SCOPE: Readonly<Record<string, readonly string[]>> = Object.freeze({
  integration_read: ['/api/integration-modules/{code}'],
  integration_write: ['/api/integration-modules/{code}/edit', '/api/integration-modules/{code}/update-scopes'],
  reference_read: ['/api/reference/sites', '/api/reference/stores', '/api/reference/payment-types'],
  reference_write: ['/api/reference/sites/{code}/edit', '/api/reference/stores/{code}/edit'],
  order_read: ['/api/orders', '/api/orders/{externalId}'],
  order_write: ['/api/orders/create', '/api/orders/{externalId}/edit'],
  customer_read: ['/api/customers', '/api/customers/{externalId}'],
  customer_write: ['/api/customers/create', '/api/customers/{externalId}/edit'],
  store_read: ['/api/store/inventories', '/api/store/products'],
  store_write: ['/api/store/inventories/upload', '/api/store/prices/upload'],
  user_read: ['/api/users', '/api/users/{id}'],
});

/** Every legacy path implied by the given scopes, deduplicated, in a stable order. */
export function credentialsForScopes(scopes: readonly string[]): string[] {
  return [...new Set(scopes.flatMap((scope) => LEGACY_CREDENTIALS_BY_SCOPE[scope] ?? []))];
}

/** Every legacy path the kit knows a right for: those implied by scopes, and the registration's own. */
export const KNOWN_CREDENTIALS: readonly string[] = Object.freeze([
  ...new Set([...REGISTRATION_CREDENTIALS, ...Object.values(LEGACY_CREDENTIALS_BY_SCOPE).flat()]),
]);

/**
 * The candidate closest to `name` by edit distance, when it is close enough to be a slip of the keyboard
 * (at most a third of the name's length, and at least one edit).
 */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const candidate of candidates) {
    const distance = editDistance(name, candidate);
    if (distance > 0 && distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * What is wrong with a legacy credential path a module lists, or `undefined` when it looks right: paths start
 * with `/api/`, carry no version segment (PROTOCOL §4), no query and no trailing slash; a near miss of a known
 * path is taken for a typo.
 */
export function credentialProblem(path: string): string | undefined {
  if (!path.startsWith('/api/')) return `"${path}" must start with /api/, e.g. /api/orders`;
  if (/^\/api\/v\d+\//.test(path)) return `"${path}" must not carry a version: write ${path.replace(/^\/api\/v\d+\//, '/api/')}`;
  if (/[?#\s]/.test(path) || path.endsWith('/')) return `"${path}" must be a bare path, with no query, space or trailing "/"`;
  if (KNOWN_CREDENTIALS.includes(path)) return undefined;
  const near = closestName(path, KNOWN_CREDENTIALS);
  return near && editDistance(path, near) <= 2 ? `"${path}" is not a known path: did you mean ${near}?` : undefined;
}
