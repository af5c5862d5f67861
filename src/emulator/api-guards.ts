/**
 * What stands in front of the account API, in order: fault rules, the rate limit; and the journal behind it.
 * Registered inside the API's own plugin scope, so admin pages and the control API are not affected.
 * @module
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isTelephonyPath } from '../protocol/index.js';
import { apiKeyOf } from './api-auth.js';
import type { EmulatorContext } from './context.js';
import type { FaultRule } from './faults.js';
import { maskApiKey } from './keys.js';
import { RATE_LIMITED_HTML } from './rate-limit.js';

const SWEEP_INTERVAL_MS = 10_000;

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function faultBody(rule: FaultRule): { payload: string; contentType: string } {
  if (rule.body === undefined) {
    return { payload: JSON.stringify({ success: false, errorMsg: 'Application error' }), contentType: rule.contentType ?? 'application/json; charset=utf-8' };
  }
  if (typeof rule.body === 'string') return { payload: rule.body, contentType: rule.contentType ?? 'text/plain; charset=utf-8' };
  return { payload: JSON.stringify(rule.body), contentType: rule.contentType ?? 'application/json; charset=utf-8' };
}

export function installApiGuards(app: FastifyInstance, ctx: EmulatorContext): void {
  const faultOf = new WeakMap<FastifyRequest, string>();

  if (ctx.limiter !== null) {
    const limiter = ctx.limiter;
    const timer = setInterval(() => limiter.sweep(), SWEEP_INTERVAL_MS);
    timer.unref();
    app.addHook('onClose', async () => clearInterval(timer));
  }

  /** Rules with `after: true`, taken before the call and applied to its answer. */
  const afterOf = new WeakMap<FastifyRequest, FaultRule>();

  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    const account = ctx.accountOf(request);
    const path = pathOf(request.url);
    const rule = ctx.faults.take(account.name, request.method, path);
    if (rule !== undefined && rule.after === true) {
      faultOf.set(request, rule.id);
      afterOf.set(request, rule);
    } else if (rule !== undefined) {
      faultOf.set(request, rule.id);
      if (rule.delayMs !== undefined && rule.delayMs > 0) await sleep(rule.delayMs);
      if (rule.reset === true) {
        ctx.state.record({
          at: new Date().toISOString(),
          account: account.name,
          method: request.method,
          path,
          status: 0,
          apiKey: maskApiKey(apiKeyOf(request)),
          fault: rule.id,
        });
        reply.hijack();
        request.raw.socket.destroy();
        return reply;
      }
      if (rule.status !== undefined) {
        const { payload, contentType } = faultBody(rule);
        return reply.code(rule.status).type(contentType).send(payload);
      }
      // A delay-only rule: the call proceeds normally.
    }
    if (ctx.limiter !== null) {
      const source = ctx.limiter.options.by === 'key' ? (apiKeyOf(request) ?? request.ip) : request.ip;
      if (!ctx.limiter.allow(account.name, source, isTelephonyPath(path))) {
        // No Retry-After, like the CRM's nginx (PROTOCOL §18).
        return reply.code(503).type('text/html').send(RATE_LIMITED_HTML);
      }
    }
    return undefined;
  });

  // The call ran (its effects are stored); now its answer is lost, delayed or replaced.
  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const rule = afterOf.get(request);
    if (rule === undefined) return payload;
    if (rule.delayMs !== undefined && rule.delayMs > 0) await sleep(rule.delayMs);
    if (rule.reset === true) {
      request.raw.socket.destroy();
      return payload;
    }
    if (rule.status !== undefined) {
      const { payload: body, contentType } = faultBody(rule);
      reply.code(rule.status).type(contentType);
      return body;
    }
    return payload;
  });

  app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    const fault = faultOf.get(request);
    const entry = {
      at: new Date().toISOString(),
      account: ctx.accountOf(request).name,
      method: request.method,
      path: pathOf(request.url),
      status: reply.statusCode,
      apiKey: maskApiKey(apiKeyOf(request)),
      ...(fault === undefined ? {} : { fault }),
    };
    ctx.state.record(entry);
    ctx.log?.info(entry, 'api call');
  });
}
