/**
 * Fault injection: rules that make matching API calls answer with a chosen status/body, wait, or drop the
 * connection, `times` times or until cleared. Rules are checked in the order they were added; the first match wins.
 * @module
 */
import type { z } from 'zod';
import type { FaultInput } from './control-schemas.js';

export type FaultRule = Readonly<z.output<typeof FaultInput>> & { readonly id: string };

export interface FaultTable {
  add(rule: z.output<typeof FaultInput>): FaultRule;
  remove(id: string): boolean;
  clear(): void;
  list(): readonly FaultRule[];
  /** The first rule matching the call, with one use consumed (rules with `times` expire when used up). */
  take(account: string, method: string, path: string): FaultRule | undefined;
}

function pathMatches(pattern: string, path: string): boolean {
  return pattern.endsWith('*') ? path.startsWith(pattern.slice(0, -1)) : path === pattern;
}

export function createFaultTable(): FaultTable {
  let rules: FaultRule[] = [];
  const remaining = new Map<string, number>();
  let counter = 0;
  return {
    add(input) {
      const rule = Object.freeze({ ...input, id: `fault-${++counter}` });
      rules.push(rule);
      if (rule.times !== undefined) remaining.set(rule.id, rule.times);
      return rule;
    },
    remove(id) {
      const before = rules.length;
      rules = rules.filter((rule) => rule.id !== id);
      remaining.delete(id);
      return rules.length !== before;
    },
    clear() {
      rules = [];
      remaining.clear();
    },
    list: () => [...rules],
    take(account, method, path) {
      // Fast path for the common case (no faults): the hot API path pays one length check.
      if (rules.length === 0) return undefined;
      const rule = rules.find(
        (r) =>
          (r.account === undefined || r.account === account) &&
          (r.method === undefined || r.method === method) &&
          pathMatches(r.path, path),
      );
      if (rule === undefined) return undefined;
      const left = remaining.get(rule.id);
      if (left !== undefined) {
        if (left <= 1) this.remove(rule.id);
        else remaining.set(rule.id, left - 1);
      }
      return rule;
    },
  };
}
