/**
 * Security headers and log hygiene for the module's pages.
 */
import type { FastifyHelmetOptions } from '@fastify/helmet';

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
export function helmetOptions(crm: readonly string[]): FastifyHelmetOptions {
  return {
    global: true,
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
  };
}

const SECRET_PARAMS = /([?&](?:clientId|apiKey|token|ticket|_csrf)=)[^&#]*/gi;

/** A URL fit for logs: secret-bearing query values replaced. */
export function redactUrl(url: string): string {
  return url.replace(SECRET_PARAMS, '$1[redacted]');
}

/** Fastify logger serializers that keep secrets out of request logs. */
export const redactingSerializers = {
  req(request: { method: string; url: string; id?: string }) {
    return { method: request.method, url: redactUrl(request.url), id: request.id };
  },
};
