/**
 * The CRM's query-string convention: nested parameters in brackets (`filter[ids][]=1`, `filter[sinceId]=20`).
 * The client writes `a[]=` for lists (as the Go client does); the emulator reads both that and PHP's `a[0]=`
 * (PROTOCOL-INTEGRATIONS §24.1).
 * @module
 */

export type QueryValue = string | number | boolean | null | undefined | readonly QueryValue[] | { readonly [key: string]: QueryValue };

/** `{ filter: { ids: [1, 2] }, limit: 20 }` → `filter%5Bids%5D%5B%5D=1&…&limit=20`. `undefined` and `null` are left out. */
export function encodeBracketQuery(params: Readonly<Record<string, QueryValue>>): string {
  const pairs: string[] = [];
  const add = (name: string, value: QueryValue): void => {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) {
      for (const item of value) add(`${name}[]`, item);
      return;
    }
    if (typeof value === 'object') {
      for (const [key, item] of Object.entries(value as Record<string, QueryValue>)) add(`${name}[${key}]`, item);
      return;
    }
    pairs.push(`${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`);
  };
  for (const [key, value] of Object.entries(params)) add(key, value);
  return pairs.join('&');
}

export type ParsedQuery = { [key: string]: string | string[] | ParsedQuery | ParsedQuery[] };

const MAX_DEPTH = 5;
const MAX_PAIRS = 1000;

/**
 * Reads a query string into nested objects: `a[b]=1` → `{a: {b: '1'}}`, `a[]=1&a[]=2` and `a[0]=1&a[1]=2` →
 * `{a: ['1', '2']}`. Deeper than five levels or past 1,000 pairs is ignored (bounded work on hostile input).
 * `__proto__`-like keys are dropped.
 */
export function parseBracketQuery(search: string): ParsedQuery {
  const root: ParsedQuery = {};
  const text = search.startsWith('?') ? search.slice(1) : search;
  if (text === '') return root;
  let count = 0;
  for (const part of text.split('&')) {
    if (part === '' || ++count > MAX_PAIRS) continue;
    const eq = part.indexOf('=');
    const rawName = eq === -1 ? part : part.slice(0, eq);
    const rawValue = eq === -1 ? '' : part.slice(eq + 1);
    let name: string;
    let value: string;
    try {
      name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      value = decodeURIComponent(rawValue.replace(/\+/g, ' '));
    } catch {
      continue;
    }
    const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(name);
    if (!match) continue;
    const keys = [match[1] as string, ...[...(match[2] ?? '').matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1] as string)];
    if (keys.length > MAX_DEPTH + 1 || keys.some((key) => key === '__proto__' || key === 'constructor' || key === 'prototype')) continue;
    assign(root, keys, value);
  }
  return root;
}

function assign(target: ParsedQuery, keys: readonly string[], value: string): void {
  let node: Record<string, unknown> = target;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const last = i === keys.length - 1;
    const nextKey = keys[i + 1];
    if (last) {
      // A plain value (list items are placed one level up, below); a repeated name becomes a list.
      const existing = node[key];
      if (existing === undefined) node[key] = value;
      else if (Array.isArray(existing)) (existing as unknown[]).push(value);
      else if (typeof existing === 'string') node[key] = [existing, value];
      return;
    }
    if (nextKey !== undefined && (nextKey === '' || /^\d+$/.test(nextKey)) && i + 1 === keys.length - 1) {
      const existing = node[key];
      const list = Array.isArray(existing) ? (existing as unknown[]) : typeof existing === 'string' ? [existing] : [];
      list.push(value);
      node[key] = list;
      return;
    }
    const child = node[key];
    if (child === undefined || typeof child !== 'object' || Array.isArray(child)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
}
