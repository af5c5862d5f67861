/**
 * Admin pages over the account's business data: orders (list, create), customers (list, create) and the
 * notifications modules sent. What a person does here is what a module then reads through the API (an order made
 * here is in the history with `source: user`).
 * @module
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { html, raw, type SafeHtml } from '../html/html.js';
import { formatCrmDateTime } from '../protocol/index.js';
import type { CallbackOutcome } from './resource-control.js';
import type { EmulatorContext } from './context.js';
import { createCustomer, createOrder, dataOf, EntityProblems } from './crm-data.js';
import { layout } from './admin-views.js';
import type { Account } from './state.js';

const CSP = "default-src 'none'; style-src 'self'; img-src http: https: data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

type Form = Record<string, unknown>;
const text = (value: unknown): string => (typeof value === 'string' ? value.trim() : '');

function sendPage(reply: FastifyReply, page: string, status = 200): FastifyReply {
  return reply.code(status).header('content-security-policy', CSP).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(page);
}

function problemsOf(error: unknown): string {
  if (error instanceof EntityProblems) return Object.entries(error.errors).map(([field, message]) => `${field}: ${message}`).join('; ');
  throw error;
}

// Numbers take any step: a price of 12.50 must not be blocked by the browser's default step of 1.
const input = (name: string, label: string, value = '', type = 'text') =>
  type === 'number'
    ? html`<label>${label} <input type="number" step="any" min="0" name="${name}" id="${name}" value="${value}"></label>`
    : html`<label>${label} <input type="${type}" name="${name}" id="${name}" value="${value}"></label>`;

function select(name: string, label: string, options: readonly { code: string; name: string }[]): SafeHtml {
  return html`<label>${label} <select name="${name}" id="${name}">${options.map((o) => html`<option value="${o.code}">${o.name}</option>`)}</select></label>`;
}

export function ordersPage(account: Account, notice?: { ok: boolean; text: string }): string {
  const data = dataOf(account);
  const rows = [...data.orders].reverse().map(
    (o) => html`<tr data-order-id="${String(o.id)}"><td>${String(o.id)}</td><td><a href="/admin/orders/${String(o.id)}">${o.number}</a></td><td><code>${o.site}</code></td>
<td>${o.status}</td><td>${[o.firstName, o.lastName].filter(Boolean).join(' ')}</td><td>${String(o.totalSumm ?? 0)}</td><td>${o.createdAt}</td></tr>`,
  );
  const body = html`
${notice ? html`<div class="notice${notice.ok ? '' : ' bad'}" role="${notice.ok ? 'status' : 'alert'}">${notice.text}</div>` : ''}
<h2>New order</h2>
<form method="post" action="/admin/orders" id="new-order"><fieldset>
${select('site', 'Store', account.sites.map((s) => ({ code: s.code, name: `${s.name} (${s.code})` })))}
${select('status', 'Status', [...data.statuses.values()].map((s) => ({ code: String(s.code), name: String(s.name) })))}
${input('number', 'Number (optional)')}${input('firstName', 'First name')}${input('lastName', 'Last name')}${input('email', 'E-mail', '', 'email')}
${input('productName', 'Product')}${input('price', 'Price', '10', 'number')}${input('quantity', 'Quantity', '1', 'number')}
</fieldset><button id="create-order">Create order</button></form>
<h2>Orders</h2>
${rows.length === 0 ? html`<p class="empty">No orders yet.</p>` : html`<table id="orders"><thead><tr><th>ID</th><th>Number</th><th>Store</th><th>Status</th><th>Customer</th><th>Total</th><th>Created</th></tr></thead><tbody>${rows}</tbody></table>`}`;
  return layout(account, 'orders', 'Orders', body);
}

export function customersPage(account: Account, notice?: { ok: boolean; text: string }): string {
  const rows = [...dataOf(account).customers].reverse().map(
    (c) => html`<tr data-customer-id="${String(c.id)}"><td>${String(c.id)}</td><td>${[c.firstName, c.lastName].filter(Boolean).join(' ')}</td>
<td>${String(c.email ?? '')}</td><td>${((c.phones as { number: string }[] | undefined) ?? []).map((p) => p.number).join(', ')}</td><td><code>${c.site}</code></td></tr>`,
  );
  const body = html`
${notice ? html`<div class="notice${notice.ok ? '' : ' bad'}" role="${notice.ok ? 'status' : 'alert'}">${notice.text}</div>` : ''}
<h2>New customer</h2>
<form method="post" action="/admin/customers" id="new-customer"><fieldset>
${select('site', 'Store', account.sites.map((s) => ({ code: s.code, name: `${s.name} (${s.code})` })))}
${input('firstName', 'First name')}${input('lastName', 'Last name')}${input('email', 'E-mail', '', 'email')}${input('phone', 'Phone')}
</fieldset><button id="create-customer">Create customer</button></form>
<h2>Customers</h2>
${rows.length === 0 ? html`<p class="empty">No customers yet.</p>` : html`<table id="customers"><thead><tr><th>ID</th><th>Name</th><th>E-mail</th><th>Phones</th><th>Store</th></tr></thead><tbody>${rows}</tbody></table>`}`;
  return layout(account, 'customers', 'Customers', body);
}

export function notificationsPage(account: Account): string {
  const rows = [...dataOf(account).notifications].reverse().map(
    (n) => html`<tr><td>${n.at.replace('T', ' ').slice(0, 19)}</td><td><code>${n.notification.type}</code></td>
<td>${n.notification.message}</td><td>${(n.notification.userGroups ?? []).join(', ')}${(n.notification.userIds ?? []).join(', ')}</td><td><code>${n.apiKey ?? ''}</code></td></tr>`,
  );
  // The message may carry HTML (the CRM renders it); the emulator shows it as text, so a module's markup cannot run here.
  const body =
    rows.length === 0
      ? html`<p class="empty">No module has sent a notification yet (<code>POST /api/v5/notifications/send</code>).</p>`
      : html`<table id="notifications"><thead><tr><th>Sent</th><th>Type</th><th>Message</th><th>To</th><th>Key</th></tr></thead><tbody>${rows}</tbody></table>`;
  return layout(account, 'notifications', 'Notifications', body);
}

/** The account's system settings; saving them sends the `settings` callback to the modules that declared it. */
export function systemSettingsPage(account: Account, outcomes?: Record<string, CallbackOutcome>): string {
  const settings = dataOf(account).systemSettings;
  const value = (key: 'system_language' | 'timezone' | 'default_currency') => settings[key]?.value ?? '';
  const languages = ['EN', 'RU', 'ES'].map((code) => html`<option value="${code}"${code === value('system_language') ? raw(' selected') : ''}>${code}</option>`);
  const results = outcomes
    ? Object.entries(outcomes).map(([code, o]) => html`<li data-settings-callback="${code}"><code>${code}</code>: ${o.delivered ? 'delivered' : html`<span class="bad">not delivered</span>`} (${o.status === null ? (o.error ?? 'no answer') : `HTTP ${o.status}`})</li>`)
    : [];
  const body = html`
${outcomes ? html`<div class="notice" role="status">Saved. ${results.length === 0 ? 'No active module declared the settings callback.' : html`Settings callback: <ul>${results}</ul>`}</div>` : ''}
<form method="post" action="/admin/settings" id="system-settings"><fieldset>
<label>Language <select name="system_language" id="system_language">${languages}</select></label>
${input('timezone', 'Timezone', value('timezone'))}${input('default_currency', 'Default currency', value('default_currency'))}
</fieldset><button id="save-settings">Save</button></form>`;
  return layout(account, 'settings', 'System settings', body);
}

/** Registered in the admin scope, after `adminRoutes` (whose hook refuses cross-site form posts). */
export function resourceAdminRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  app.get('/admin/orders', (request, reply) => sendPage(reply, ordersPage(ctx.accountOf(request))));
  app.post<{ Body: Form }>('/admin/orders', (request, reply) => {
    const account = ctx.accountOf(request);
    const form = request.body ?? {};
    const product = text(form.productName);
    const price = Number(text(form.price) || '0');
    const quantity = Number(text(form.quantity) || '1');
    if (!Number.isFinite(price) || price < 0 || !Number.isFinite(quantity) || quantity <= 0)
      return sendPage(reply, ordersPage(account, { ok: false, text: 'Price must be 0 or more and quantity more than 0.' }), 400);
    const email = text(form.email);
    try {
      const order = createOrder(
        account,
        {
          ...(text(form.number) ? { number: text(form.number) } : {}),
          ...(text(form.status) ? { status: text(form.status) } : {}),
          ...(text(form.firstName) ? { firstName: text(form.firstName) } : {}),
          ...(text(form.lastName) ? { lastName: text(form.lastName) } : {}),
          ...(email ? { email } : {}),
          items: product ? [{ productName: product, initialPrice: price, quantity }] : [],
        },
        text(form.site) || undefined,
        { source: 'user' },
      );
      return sendPage(reply, ordersPage(account, { ok: true, text: `Order ${order.number} created.` }), 201);
    } catch (error) {
      return sendPage(reply, ordersPage(account, { ok: false, text: problemsOf(error) }), 400);
    }
  });

  app.get('/admin/customers', (request, reply) => sendPage(reply, customersPage(ctx.accountOf(request))));
  app.post<{ Body: Form }>('/admin/customers', (request, reply) => {
    const account = ctx.accountOf(request);
    const form = request.body ?? {};
    const email = text(form.email);
    if (email && !/^[^@\s]+@[^@\s]+$/.test(email)) return sendPage(reply, customersPage(account, { ok: false, text: 'The e-mail address is not valid.' }), 400);
    try {
      const customer = createCustomer(
        account,
        {
          ...(text(form.firstName) ? { firstName: text(form.firstName) } : {}),
          ...(text(form.lastName) ? { lastName: text(form.lastName) } : {}),
          ...(email ? { email } : {}),
          ...(text(form.phone) ? { phones: [{ number: text(form.phone) }] } : {}),
        },
        text(form.site) || undefined,
      );
      return sendPage(reply, customersPage(account, { ok: true, text: `Customer ${customer.id} created.` }), 201);
    } catch (error) {
      return sendPage(reply, customersPage(account, { ok: false, text: problemsOf(error) }), 400);
    }
  });

  app.get('/admin/notifications', (request, reply) => sendPage(reply, notificationsPage(ctx.accountOf(request))));

  app.get('/admin/settings', (request, reply) => sendPage(reply, systemSettingsPage(ctx.accountOf(request))));
  app.post<{ Body: Form }>('/admin/settings', async (request, reply) => {
    const account = ctx.accountOf(request);
    const form = request.body ?? {};
    const now = formatCrmDateTime(new Date());
    const current = dataOf(account).systemSettings;
    // Only what changed is reported, as the CRM's callback may carry only some keys (§19).
    const changed: Record<string, { value: string; updated_at: string }> = {};
    for (const key of ['system_language', 'timezone', 'default_currency'] as const) {
      const value = text(form[key]);
      if (value !== '' && value !== current[key]?.value) changed[key] = { value, updated_at: now };
    }
    const outcomes = Object.keys(changed).length === 0 ? {} : await ctx.control.setSystemSettings(account.name, changed);
    return sendPage(reply, systemSettingsPage(account, outcomes));
  });
}
