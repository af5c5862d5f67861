/**
 * Throttling of the connect form (issue 14, item 5). The form is unauthenticated: anyone may submit an account
 * address and a made-up key, and each submit makes the module call that account's API, which the CRM limits per
 * account (10 requests/s, PROTOCOL §18). Unthrottled, junk submits for one account spend the budget that
 * account's real connection needs (60 of them raised a real settings save from ~5 ms to 4.7 s).
 *
 * Two limits, both checked before any CRM call, with @fastify/rate-limit's in-memory store (LRU-bounded):
 * - per client address (default 10 submits a minute);
 * - per account address, whoever submits (default 20 a minute).
 * A throttled submit gets 429 with `Retry-After`. The other half of the fix is in `create-connect-kit.ts`: what
 * the connect form sends to the CRM may use only a share of the account's budget, the rest is kept for its
 * connection's authenticated work.
 * @module
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ConnectKit } from '../connect/kit.js';
import { single } from './input.js';

export interface SubmitLimit {
  /** Submits allowed … */
  readonly max: number;
  /** … per window of this many milliseconds. */
  readonly windowMs: number;
}

export interface SubmitThrottleOptions {
  /** Per client address; `false` for none. Default 10 a minute. Behind a proxy, set `trustProxy` so it sees clients. */
  readonly perClient?: SubmitLimit | false;
  /** Per account address, all clients together; `false` for none. Default 20 a minute. */
  readonly perAccount?: SubmitLimit | false;
}

export const DEFAULT_SUBMIT_THROTTLE = Object.freeze({
  perClient: Object.freeze({ max: 10, windowMs: 60_000 }),
  perAccount: Object.freeze({ max: 20, windowMs: 60_000 }),
});

/** Too many submits; Fastify's error handler renders it (429). */
export class SubmitThrottledError extends Error {
  readonly statusCode = 429;
  constructor(readonly retryAfterSeconds: number) {
    super('Too many connection attempts');
    this.name = 'SubmitThrottledError';
  }
}

type Limiter = (request: FastifyRequest) => Promise<{ isAllowed: boolean; isExceeded?: boolean; ttlInSeconds?: number }>;

/**
 * Registers the store (inside the host's scope) and returns the `preHandler` of the connect form's POST. Reads
 * the account from the parsed form, so it must run after the body is parsed and the edge checks ran.
 */
export async function submitThrottle(
  app: FastifyInstance,
  kit: Pick<ConnectKit, 'checkAccountUrl'>,
  options: SubmitThrottleOptions = {},
): Promise<(request: FastifyRequest, reply: FastifyReply) => Promise<void>> {
  await app.register(rateLimit, { global: false });
  const perClient = options.perClient ?? DEFAULT_SUBMIT_THROTTLE.perClient;
  const perAccount = options.perAccount ?? DEFAULT_SUBMIT_THROTTLE.perAccount;
  const accountOf = (request: FastifyRequest): string => {
    const raw = single((request.body as Record<string, unknown> | undefined)?.account)?.trim() ?? '';
    const check = kit.checkAccountUrl(raw);
    return check.ok ? check.url : raw.toLowerCase().replace(/\/+$/, '').slice(0, 256);
  };
  const limiters: Limiter[] = [];
  if (perClient)
    limiters.push(app.createRateLimit({ max: perClient.max, timeWindow: perClient.windowMs, keyGenerator: (request) => `client:${request.ip}` }));
  if (perAccount)
    limiters.push(app.createRateLimit({ max: perAccount.max, timeWindow: perAccount.windowMs, keyGenerator: (request) => `account:${accountOf(request)}` }));

  return async (request, reply) => {
    // In order: a client over its own limit does not also use up the account's.
    for (const limiter of limiters) {
      const result = await limiter(request);
      if (!result.isAllowed && result.isExceeded) {
        const retryAfter = Math.max(1, result.ttlInSeconds ?? 60);
        reply.header('retry-after', String(retryAfter));
        request.log.warn({ retryAfter }, 'connect form throttled');
        throw new SubmitThrottledError(retryAfter);
      }
    }
  };
}
