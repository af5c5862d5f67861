/**
 * Server-rendered admin pages of an emulated account. Pure functions of state → HTML; routes live in admin-routes.ts.
 * @module
 */
import { KNOWN_SCOPES, LEGACY_CREDENTIALS_BY_SCOPE, REGISTRATION_CREDENTIALS } from '../protocol/index.js';
import { html, raw, type SafeHtml } from '../html/html.js';
import { maskApiKey, type ApiKeyRecord } from './keys.js';
import type { Account, MarketplaceListing, StoredModule } from './state.js';

export type Section = 'marketplace' | 'integrations' | 'api-keys' | 'requests' | 'orders' | 'customers' | 'notifications' | 'settings';

export function layout(account: Account, section: Section, title: string, body: SafeHtml): string {
  const link = (href: string, name: Section, label: string) =>
    html`<a href="${href}"${name === section ? raw(' aria-current="page"') : ''}>${label}</a>`;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · ${account.name} · CRM emulator</title><link rel="stylesheet" href="/_static/admin.css"></head>
<body><header><span class="brand">CRM emulator · ${account.name}</span><nav>
${link('/admin/marketplace', 'marketplace', 'Marketplace')}${link('/admin/integration/list', 'integrations', 'Integrations')}${link('/admin/api-keys', 'api-keys', 'API keys')}${link('/admin/requests', 'requests', 'Request log')}${link('/admin/orders', 'orders', 'Orders')}${link('/admin/customers', 'customers', 'Customers')}${link('/admin/notifications', 'notifications', 'Notifications')}${link('/admin/settings', 'settings', 'Settings')}
</nav></header><main><h1>${title}</h1>${body}</main></body></html>`.value;
}

export function marketplacePage(account: Account, listings: readonly MarketplaceListing[]): string {
  const cards = listings.map(
    (m) => html`<article class="card" data-integration-code="${m.integrationCode}">
${m.logo ? html`<img src="${m.logo}" alt="">` : ''}<strong>${m.name}</strong><p>${m.description ?? ''}</p>
${connectControls(m)}</article>`,
  );
  const body =
    listings.length === 0
      ? html`<p class="empty">No module is published yet. Publish one with <code>POST /_emulator/marketplace</code>.</p>`
      : html`<div class="cards">${cards}</div>`;
  return layout(account, 'marketplace', 'Marketplace', body);
}

/** Simple connection: a POST button (it creates a key). Classic: a link. A module offering both shows both. */
function connectControls(m: MarketplaceListing): SafeHtml {
  const action = `/admin/marketplace/${encodeURIComponent(m.integrationCode)}/connect`;
  const simple = m.configUrl
    ? html`<form class="inline" method="post" action="${action}"><button class="button" data-connect="simple">Connect</button></form>`
    : '';
  const classic = m.accountUrl
    ? html`<a class="${m.configUrl ? 'secondary' : 'button'}" data-connect="classic" href="${action}">${m.configUrl ? 'Connect with the module’s form' : 'Connect'}</a>`
    : '';
  return html`${simple}${classic}`;
}

/** What the CRM shows when a simple connection fails: the module's own message when it sent one. */
export function simpleConnectFailedPage(
  account: Account,
  listing: MarketplaceListing,
  outcome: { readonly message: string; readonly moduleError?: string },
): string {
  const body = html`<div class="notice bad" role="alert">
${outcome.moduleError ? html`<p><strong>${listing.name}:</strong> <span id="module-error">${outcome.moduleError}</span></p>` : ''}
<p class="muted" id="connect-problem">${outcome.message}</p></div>
<p><a href="/admin/marketplace">Back to the Marketplace</a></p>`;
  return layout(account, 'marketplace', `Could not connect ${listing.name}`, body);
}

function stateOf(module: StoredModule): 'active' | 'inactive' | 'frozen' {
  if (module.freeze) return 'frozen';
  return module.active ? 'active' : 'inactive';
}

function deliveryCell(module: StoredModule): SafeHtml {
  const d = module.lastDelivery;
  if (d === null) return html`<span class="muted">no callback sent yet</span>`;
  const result = d.delivered
    ? html`<span class="ok delivery">delivered</span> (HTTP ${d.status})`
    : html`<span class="bad delivery">not delivered</span> (${d.status === null ? d.error : `HTTP ${d.status}`})`;
  return html`${result}<br><span class="muted">${JSON.stringify(d.activity)} at ${d.at}</span>`;
}

function actionButton(code: string, action: string, label: string, enabled: boolean): SafeHtml {
  return html`<form class="inline" method="post" action="/admin/integration/${encodeURIComponent(code)}/activity">
<input type="hidden" name="action" value="${action}"><button class="secondary" name="do" value="${action}"${enabled ? '' : raw(' disabled')}>${label}</button></form>`;
}

export function integrationListPage(account: Account): string {
  const rows = [...account.modules.entries()].map(([code, module]) => {
    const r = module.registration;
    const state = stateOf(module);
    // "Open settings" is a top-level form POST carrying clientId, as the CRM opens a connected module (§18).
    const settings = r.accountUrl
      ? html`<form class="inline" method="post" action="${r.accountUrl}"><input type="hidden" name="clientId" value="${r.clientId}"><button>Open settings</button></form>`
      : html`<span class="muted">no accountUrl</span>`;
    return html`<tr data-code="${code}"><td><strong>${r.name}</strong><br><code>${code}</code></td>
<td><span class="state ${state}">${state}</span></td>
<td>${actionButton(code, 'activate', 'Activate', !module.active)}${actionButton(code, 'deactivate', 'Deactivate', module.active)}${actionButton(code, 'freeze', 'Freeze', !module.freeze)}${actionButton(code, 'unfreeze', 'Unfreeze', module.freeze)}</td>
<td>${deliveryCell(module)}</td><td>${settings}</td></tr>`;
  });
  const body =
    rows.length === 0
      ? html`<p class="empty">No module is registered in this account yet.</p>`
      : html`<table><thead><tr><th>Module</th><th>State</th><th>Change</th><th>Last activity callback</th><th></th></tr></thead><tbody>${rows}</tbody></table>`;
  return layout(account, 'integrations', 'Integrations', body);
}

const LEGACY_PATHS = [...new Set([...REGISTRATION_CREDENTIALS, ...Object.values(LEGACY_CREDENTIALS_BY_SCOPE).flat()])];

function checkbox(name: string, value: string): SafeHtml {
  return html`<label><input type="checkbox" name="${name}" value="${value}"> <code>${value}</code></label>`;
}

export function apiKeysPage(account: Account, created?: ApiKeyRecord, problem?: string): string {
  const keys = [...account.keys.values()];
  const rows = keys.map(
    (k) => html`<tr data-key-id="${k.id}"><td><code>${maskApiKey(k.key)}</code></td>
<td>${k.scopes.length === KNOWN_SCOPES.length ? 'all scopes' : k.scopes.join(', ') || html`<span class="muted">none</span>`}</td>
<td>${k.explicitCredentials.join(', ') || html`<span class="muted">—</span>`}</td>
<td>${k.siteAccess === 'access_full' ? 'all stores' : k.sitesAvailable.join(', ')}</td>
<td>${k.revoked ? html`<span class="bad">revoked</span>` : html`<form class="inline" method="post" action="/admin/api-keys/${k.id}/revoke"><button class="danger">Revoke</button></form>`}</td></tr>`,
  );
  const body = html`
${created ? html`<div class="notice">New API key (shown once): <code id="new-api-key">${created.key}</code></div>` : ''}
${problem ? html`<div class="notice bad" role="alert">${problem}</div>` : ''}
<table><thead><tr><th>Key</th><th>Scopes</th><th>Legacy methods</th><th>Stores</th><th></th></tr></thead><tbody>${rows}</tbody></table>
<h2>Create a key</h2>
<form method="post" action="/admin/api-keys">
<fieldset><legend>Scopes</legend>${KNOWN_SCOPES.map((s) => checkbox('scope', s))}</fieldset>
<fieldset><legend>Legacy API methods (older accounts)</legend>${LEGACY_PATHS.map((p) => checkbox('credential', p))}</fieldset>
<fieldset><legend>Stores</legend>
<label><input type="radio" name="siteAccess" value="access_full" checked> all stores</label>
<label><input type="radio" name="siteAccess" value="access_selective"> only:</label>
${account.sites.map((s) => html`<label><input type="checkbox" name="site" value="${s.code}"> ${s.name} (<code>${s.code}</code>)</label>`)}
</fieldset>
<button id="create-key">Create key</button></form>`;
  return layout(account, 'api-keys', 'API keys', body);
}
