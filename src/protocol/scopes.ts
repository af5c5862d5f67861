/**
 * API-key rights: named scopes (current) and legacy credential paths (older accounts).
 * @see ../../../shared/PROTOCOL.md §4, §18 (scopes)
 */

const SCOPE_FAMILIES = [
  'order', 'customer', 'store', 'reference', 'telephony', 'delivery', 'user', 'task', 'custom_fields',
  'integration', 'cost', 'payments', 'file', 'loyalty', 'verification',
] as const;

/** The 32 scope names seen in the vendor's own module (PROTOCOL §18). */
export const KNOWN_SCOPES: readonly string[] = Object.freeze([
  ...SCOPE_FAMILIES.flatMap((family) => [`${family}_read`, `${family}_write`]),
  'analytics_write',
  'segment_read',
]);

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
