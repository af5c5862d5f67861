/**
 * Turns a CRM request path into a bounded label: identifiers become placeholders
 * (`/api/v5/integration-modules/acme/edit` → `/api/v5/integration-modules/{code}/edit`,
 * `/api/v5/orders/123` → `/api/v5/orders/{id}`), so a label never carries an order number or a module code, and
 * the number of distinct values follows the API's methods, not the data.
 * @module
 */

/** Collections whose next segment names one item by code or external id, not a method. */
const ITEM_PARENTS = new Set([
  'integration-modules',
  'orders',
  'customers',
  'customers-corporate',
  'tasks',
  'users',
  'payments',
  'notes',
  'files',
  'products',
  'delivery',
  'loyalty',
  'account',
  'costs',
  'custom-fields',
  'custom-dictionaries',
]);

/** Method names that follow a collection directly (`/api/v5/orders/create`), not an item's code. */
const COLLECTION_METHODS = new Set(['create', 'upload', 'history', 'statuses', 'fix-external-ids', 'combine', 'links', 'delete', 'edit', 'list']);

const WORD = /^[a-z]+(?:-[a-z]+)*$/;

/** The path's template: the query dropped, identifiers replaced. */
export function crmEndpointOf(path: string): string {
  const bare = path.split('?', 1)[0] ?? '';
  const segments = bare.split('/');
  const out: string[] = [];
  for (let i = 0; i < segments.length; i += 1) {
    const segment = segments[i] ?? '';
    const previous = segments[i - 1] ?? '';
    if (i <= 1 || (i === 2 && /^v\d+$/.test(segment))) {
      out.push(segment);
      continue;
    }
    // `reference/{dictionary}/{code}`: the dictionary is a name, what follows it is an item.
    const underReference = segments[i - 2] === 'reference';
    if (!WORD.test(segment)) out.push(/^\d+$/.test(segment) ? '{id}' : '{code}');
    else if ((ITEM_PARENTS.has(previous) || underReference) && !COLLECTION_METHODS.has(segment)) out.push('{code}');
    else out.push(segment);
  }
  return out.join('/');
}

/**
 * Caps the distinct values a label takes (a module calling an unexpected variety of paths cannot grow the
 * metrics without bound): the first `limit` values pass, later new ones become `other`.
 */
export function boundedLabel(limit: number): (value: string) => string {
  const seen = new Set<string>();
  return (value) => {
    if (seen.has(value)) return value;
    if (seen.size >= limit) return 'other';
    seen.add(value);
    return value;
  };
}
