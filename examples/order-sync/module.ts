/**
 * Example: "Order sync", a module that copies new orders of one store to a partner's service.
 * It is built only with the package's public API: copy this file to start your own module.
 *
 * What it shows:
 * - the rights it needs, as scopes and as legacy credential paths for older accounts;
 * - settings beyond the API key, declared once as a zod schema with labels in three languages;
 * - a store chosen from the account's stores (loaded with the key just checked), and a secret setting;
 * - a step-4.3 check that asks the CRM (is the chosen store one the key may access?);
 * - lifecycle hooks.
 */
import { z } from 'zod';
import { defineModule, type CrmClient, type CredentialsResponse, type SettingOptionsContext } from 'retailcrm-module-kit';
import { ORDER_SYNC_LOGO_SVG } from './logo.js';

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

export function orderSyncModule(baseUrl: string) {
  return defineModule({
    integrationCode: ORDER_SYNC_CODE,
    name: { en: 'Order sync (demo)', ru: 'Синхронизация заказов (демо)', es: 'Sincronización de pedidos (demo)' },
    logo: `${baseUrl.replace(/\/+$/, '')}/logo.svg`,
    baseUrl,
    apiVersion: 5,
    scopes: ['order_read', 'reference_read'],
    credentials: ['/api/orders', '/api/reference/sites'],
    settings,
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
      onConnected({ connection, created }) {
        // A real module would start its sync worker here; it must be idempotent (it reruns on a retried connect).
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
