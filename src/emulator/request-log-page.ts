/**
 * The account's request log as a page: a per-second chart of its API calls over the last minute with the rate
 * limit drawn and the 503s it caused, then the most recent calls (keys masked). Server-rendered, no script.
 * @module
 */
import type { FastifyInstance } from 'fastify';
import { html } from '../html/html.js';
import { requestChartSvg } from '../observability/svg-charts.js';
import { layout } from './admin-views.js';
import type { EmulatorContext } from './context.js';

export const REQUEST_LOG_PATH = '/admin/requests';

const CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export function requestLogRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  app.get(REQUEST_LOG_PATH, (request, reply) => {
    const account = ctx.accountOf(request);
    const entries = ctx.state.requests(account.name);
    const limit = ctx.limiter?.options.perSecond ?? null;
    const chart = requestChartSvg(entries.map((e) => ({ at: Date.parse(e.at), status: e.status })), { limitPerSecond: limit });
    const limited = entries.filter((e) => e.status === 503).length;
    const rows = entries.slice(-50).reverse().map(
      (e) => html`<tr data-status="${e.status}"><td><time datetime="${e.at}">${e.at.slice(11, 23)}</time></td><td>${e.method}</td><td><code>${e.path}</code></td><td class="${e.status === 503 || e.status === 0 || e.status >= 500 ? 'bad' : ''}">${e.status === 0 ? 'dropped' : e.status}</td><td><code>${e.apiKey ?? '—'}</code></td><td>${e.fault ?? ''}</td></tr>`,
    );
    const body = html`<p class="muted">API calls of this account per second, the last minute (blue: answered, red: refused with 503 by the rate limit${limit ? html`, dashed: the limit of ${limit}/s` : ', which is off'}). ${entries.length} calls kept, ${limited} refused with 503.</p>
<figure class="chart">${chart}</figure>
${rows.length === 0 ? html`<p class="empty">No API call yet.</p>` : html`<table><thead><tr><th>Time (UTC)</th><th>Method</th><th>Path</th><th>Status</th><th>Key</th><th>Fault</th></tr></thead><tbody>${rows}</tbody></table>`}`;
    return reply
      .header('content-security-policy', CSP)
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send(layout(account, 'requests', 'Request log', body));
  });
}
