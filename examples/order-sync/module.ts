/**
 * Example: "Order sync", a module that copies new orders of one store to a partner's service.
 * It is built only with the package's public API: copy this file to start your own module.
 *
 * What it shows:
 * - the rights it needs, as scopes and as legacy credential paths for older accounts;
 * - settings beyond the API key, declared once as a zod schema with labels in three languages;
 * - a store chosen from the account's stores (loaded with the key just checked), and a secret setting;
 * - a step-4.3 check that asks the CRM (is the chosen store one the key may access?);
 * - lifecycle hooks;
 * - its real job: new orders of its store read through the order history and a cursor per connection, with a
 *   "Sync now" button and the last synced orders on its settings page (an own route plus the page's section);
 * - the same sync as a periodic job per connection, run on whichever instance is free.
 */
import { z } from 'zod';
import {
  defineJob,
  defineModule,
  ErrorCode,
  errorMessage,
  html,
  type CrmClient,
  type CredentialsResponse,
  type Locale,
  type SettingOptionsContext,
} from 'retailcrm-module-kit';
import { ORDER_SYNC_LOGO_SVG } from './logo.js';
import { SyncLedger, type SyncState } from './sync.js';

export const ORDER_SYNC_CODE = 'demo-order-sync';

const settings = {
  schema: z.object({
    siteCode: z.string().min(1).max(64),
    orderPrefix: z.string().regex(/^[A-Z0-9-]{0,10}$/, 'up to 10 capital letters, digits or "-"').optional(),
    syncEveryMinutes: z.enum(['5', '15', '60']).default('15'),
    includeCancelled: z.boolean().default(false),
    partnerToken: z.string().max(200).optional(),
  }),
  fields: {
    siteCode: {
      label: { en: 'Store code', ru: 'Код магазина', es: 'Código de la tienda' },
      // Once the key is checked, the person chooses among the stores this key may use.
      options: async ({ crm, credentials }: SettingOptionsContext) => {
        const sites = await crm.sites();
        return (await storesOfKey(crm, credentials)).map((code) => ({ value: code, label: `${sites[code]?.name ?? code} (${code})` }));
      },
      help: {
        en: 'The store whose orders are synced (Settings → Stores in the CRM), e.g. main',
        ru: 'Магазин, заказы которого синхронизируются (Настройки → Магазины в CRM), например main',
        es: 'La tienda cuyos pedidos se sincronizan (Ajustes → Tiendas en el CRM), p. ej. main',
      },
    },
    orderPrefix: {
      label: { en: 'Order number prefix', ru: 'Префикс номера заказа', es: 'Prefijo del número de pedido' },
      help: { en: 'Optional, e.g. WEB', ru: 'Необязательно, например WEB', es: 'Opcional, p. ej. WEB' },
    },
    syncEveryMinutes: {
      label: { en: 'Sync every', ru: 'Синхронизировать каждые', es: 'Sincronizar cada' },
      optionLabels: {
        '5': { en: '5 minutes', ru: '5 минут', es: '5 minutos' },
        '15': { en: '15 minutes', ru: '15 минут', es: '15 minutos' },
        '60': { en: 'hour', ru: 'час', es: 'hora' },
      },
    },
    includeCancelled: { label: { en: 'Include cancelled orders', ru: 'Включать отменённые заказы', es: 'Incluir pedidos cancelados' } },
    partnerToken: {
      label: { en: 'Partner service token', ru: 'Токен сервиса партнёра', es: 'Token del servicio del socio' },
      help: { en: 'Optional. Kept encrypted, never shown again.', ru: 'Необязательно. Хранится в зашифрованном виде и больше не показывается.', es: 'Opcional. Se guarda cifrado y no se vuelve a mostrar.' },
      input: 'secret' as const,
      section: { en: 'Partner service', ru: 'Сервис партнёра', es: 'Servicio del socio' },
    },
  },
};

/** The stores a key may use: all of the account's for full access, else the ones listed for the key. */
export async function storesOfKey(crm: CrmClient, credentials: CredentialsResponse): Promise<string[]> {
  const sites = Object.keys(await crm.sites());
  if (credentials.siteAccess !== 'access_selective') return sites;
  return sites.filter((code) => credentials.sitesAvailable?.includes(code));
}

const TEXT = {
  heading: { en: 'Synced orders', ru: 'Синхронизированные заказы', es: 'Pedidos sincronizados' },
  syncNow: { en: 'Sync now', ru: 'Синхронизировать сейчас', es: 'Sincronizar ahora' },
  none: { en: 'No order synced yet.', ru: 'Заказы ещё не синхронизировались.', es: 'Aún no se ha sincronizado ningún pedido.' },
  lastRun: { en: 'Last run', ru: 'Последний запуск', es: 'Última ejecución' },
  added: { en: 'new orders', ru: 'новых заказов', es: 'pedidos nuevos' },
  number: { en: 'Number', ru: 'Номер', es: 'Número' },
  status: { en: 'Status', ru: 'Статус', es: 'Estado' },
  customer: { en: 'Customer', ru: 'Покупатель', es: 'Cliente' },
  total: { en: 'Total', ru: 'Сумма', es: 'Total' },
} as const satisfies Record<string, Record<Locale, string>>;

/** The settings page's section: the button and the last synced orders. */
function syncSection(state: SyncState, locale: Locale, csrfField: ReturnType<typeof html>, action: string) {
  const t = (key: keyof typeof TEXT) => TEXT[key][locale];
  const rows = state.orders.map(
    (order) => html`<tr data-synced-order="${String(order.id)}"><td>${order.number}</td><td>${order.status}</td><td>${order.customer}</td><td>${String(order.total)}</td></tr>`,
  );
  return html`<h2>${t('heading')}</h2>
${state.lastError ? html`<div class="alert error" role="alert">${errorMessage(locale, state.lastError.code, state.lastError.params)}</div>` : ''}
${state.lastRunAt ? html`<p class="help" data-last-run>${t('lastRun')}: ${state.lastRunAt.replace('T', ' ').slice(0, 19)} UTC · ${String(state.lastAdded ?? 0)} ${t('added')}</p>` : ''}
<form method="post" action="${action}">${csrfField}<button type="submit" id="sync-now">${t('syncNow')}</button></form>
${rows.length === 0 ? html`<p data-no-synced-orders>${t('none')}</p>` : html`<table id="synced-orders"><thead><tr><th>${t('number')}</th><th>${t('status')}</th><th>${t('customer')}</th><th>${t('total')}</th></tr></thead><tbody>${rows}</tbody></table>`}`;
}

export function orderSyncModule(baseUrl: string) {
  const ledger = new SyncLedger();
  return defineModule({
    integrationCode: ORDER_SYNC_CODE,
    name: { en: 'Order sync (demo)', ru: 'Синхронизация заказов (демо)', es: 'Sincronización de pedidos (demo)' },
    logo: `${baseUrl.replace(/\/+$/, '')}/logo.svg`,
    baseUrl,
    apiVersion: 5,
    scopes: ['order_read', 'reference_read'],
    credentials: ['/api/orders', '/api/reference/sites'],
    settings,
    // "Sync now" on the settings page: the session says whose connection it is; the form carries the CSRF token.
    routes(app, tools) {
      app.post('/sync', { preValidation: tools.csrfProtection }, async (request, reply) => {
        const lang = (request.body as { lang?: unknown } | undefined)?.lang;
        const locale = lang === 'ru' || lang === 'es' || lang === 'en' ? lang : undefined;
        const connection = await tools.sessionConnection(request);
        if (!connection) return reply.code(401).type('text/plain; charset=utf-8').send(errorMessage(locale ?? 'en', ErrorCode.SessionMissing));
        await ledger.run(connection, tools.crmOf(connection));
        return tools.backToSettings(reply, locale);
      });
    },
    settingsSection: ({ connection, locale, csrfField, at }) => syncSection(ledger.get(connection.id), locale, csrfField, at('/sync')),
    jobs: {
      // Checked every 5 minutes; each connection runs as often as its "Sync every" setting says (docs/guide/fleet.md).
      syncOrders: defineJob({
        every: '5m',
        everyFor: (connection) => `${String(connection.settings.syncEveryMinutes ?? '15')}m`,
        async run({ connection, crm }) {
          await ledger.run(connection, crm);
        },
      }),
    },
    hooks: {
      async validateSettings({ settings: chosen, crm, credentials }) {
        const stores = await storesOfKey(crm, credentials);
        if (stores.includes(chosen.siteCode)) return { ok: true };
        const list = stores.join(', ') || '—';
        return {
          ok: false,
          fieldErrors: {
            siteCode: {
              en: `This key has no store "${chosen.siteCode}". Stores it may use: ${list}`,
              ru: `У этого ключа нет магазина «${chosen.siteCode}». Доступные магазины: ${list}`,
              es: `Esta clave no tiene la tienda «${chosen.siteCode}». Tiendas disponibles: ${list}`,
            },
          },
        };
      },
      async onConnected({ connection, crm, created }) {
        // Sync what is ordered from now on, not the account's whole past. Idempotent: a retried connect reruns it.
        await ledger.startAtLatest(connection, crm);
        // A real module would also start its sync worker here.
        console.info(`order-sync: ${created ? 'connected' : 'reconnected'} ${connection.accountUrl}`);
      },
      onActivityChanged({ connection, activity }) {
        console.info(`order-sync: ${connection.accountUrl} is now ${activity.active && !activity.freeze ? 'enabled' : 'disabled'}`);
      },
    },
  });
}

/** What `retailcrm-module-kit dev --module <file>` looks for in a module file. */
export const createModule = orderSyncModule;
export const logoSvg = ORDER_SYNC_LOGO_SVG;
export const description =
  'Copies new orders of one store to a partner service. Needs the rights order_read and reference_read.';
