/**
 * Security headers and log hygiene for the module's pages.
 */
import fastifyHelmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';

/**
 * CSP sources for the CRM: every account under the allowed domains, each box host, and the emulator's
 * `*.localhost` accounts when local addresses are allowed (development only).
 */
export function crmSources(policy: {
  readonly allowedDomains: ReadonlySet<string>;
  readonly boxHosts: ReadonlySet<string>;
  readonly allowLocal: boolean;
}): string[] {
  return [
    ...[...policy.allowedDomains].map((domain) => `https://*.${domain}`),
    ...[...policy.boxHosts].map((host) => `https://${host}`),
    ...(policy.allowLocal ? ['http://localhost:*', 'http://*.localhost:*', 'http://127.0.0.1:*'] : []),
  ];
}

/**
 * No script at all, styles only from our own stylesheet, framing only by the CRM, no referrer. `form-action`
 * lists the CRM because browsers apply it to the redirect that follows a form (step 6 lands in the CRM).
 */
function helmetOptions(crm: readonly string[]) {
  return {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'https:', 'data:'],
        formAction: ["'self'", ...crm],
        frameAncestors: ["'self'", ...crm],
        baseUri: ["'none'"],
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
    // frame-ancestors governs framing; X-Frame-Options cannot express a list of CRM origins.
    frameguard: false,
    crossOriginEmbedderPolicy: false,
  } as const;
}

/**
 * The pages' security headers ({@link helmetOptions}) on every route of `app`'s scope. @fastify/helmet builds
 * helmet's middleware anew on every request, parsing the whole policy each time (~7 % of a page's cost,
 * docs/performance.md), so routes without a `helmet` option of their own get a middleware built once here. The
 * plugin stays registered with the same options (`global: false`): a route that sets `helmet` (its own policy, or
 * `false`) is served by it exactly as before, and `reply.helmet()` keeps working.
 */
export async function securityHeaders(app: FastifyInstance, crm: readonly string[]): Promise<void> {
  const options = helmetOptions(crm);
  await app.register(fastifyHelmet, { ...options, global: false });
  const setHeaders = helmet(options);
  app.addHook('onRequest', (request, reply, done) => {
    if ((request.routeOptions.config as { helmet?: unknown }).helmet !== undefined) return done();
    // helmet 8.1+ throws instead of passing an error to `next`, which it calls with nothing.
    setHeaders(request.raw, reply.raw, done as () => void);
  });
}

/** Parameter names whose values are secret, compared after decoding, lowercasing and dropping `-`, `_` and `[…]`. */
const SECRET_NAMES = new Set(['clientid', 'apikey', 'token', 'ticket', 'csrf', 'entry', 'secret', 'password', 'register']);

export function isSecretName(rawKey: string): boolean {
  let key = rawKey.replace(/\+/g, ' ');
  try {
    key = decodeURIComponent(key);
  } catch {
    // Malformed escapes: judge the raw text (the server's parser may still read it as the secret name).
  }
  const normalized = key.replace(/\[.*$/, '').replace(/[-_\s]/g, '').toLowerCase();
  return SECRET_NAMES.has(normalized);
}

/**
 * A URL fit for logs: the query is split into parameters, and a parameter whose decoded name is a secret's
 * (`clientId`, `client%49d`, `clientId[]`, `api_key`…) gets `[redacted]` for its value. The rest is kept as sent.
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const hash = url.indexOf('#', q);
  const query = url.slice(q + 1, hash === -1 ? undefined : hash);
  const redacted = query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const key = eq === -1 ? pair : pair.slice(0, eq);
      return isSecretName(key) ? `${key}=[redacted]` : pair;
    })
    .join('&');
  return `${url.slice(0, q)}?${redacted}${hash === -1 ? '' : url.slice(hash)}`;
}

/** Fastify logger serializers that keep secrets out of request logs. */
export const redactingSerializers = {
  req(request: { method: string; url: string; id?: string }) {
    return { method: request.method, url: redactUrl(request.url), id: request.id };
  },
};
