/**
 * {{name}}: a RetailCRM / Simla.com marketplace module.
 *
 * `npm run dev` serves it beside a local CRM emulator; `npm test` connects it through its form there.
 * What a module file exports: `createModule(baseUrl)` (required), `logoSvg` and `description` (optional).
 */
import { z } from 'zod';
import { defineModule } from 'retailcrm-module-kit';

export const INTEGRATION_CODE = '{{code}}';

export function createModule(baseUrl: string) {
  return defineModule({
    integrationCode: INTEGRATION_CODE,
    name: { en: '{{name}}', ru: '{{name}}', es: '{{name}}' },
    logo: `${baseUrl.replace(/\/+$/, '')}/logo.svg`,
    baseUrl,
    // The rights your module needs; integration_read and integration_write are added for you.
    scopes: ['order_read', 'reference_read'],
    settings: {
      schema: z.object({
        siteCode: z.string().min(1).max(64),
        notifyOnNewOrder: z.boolean().default(true),
      }),
      fields: {
        siteCode: {
          label: { en: 'Store code', ru: 'Код магазина', es: 'Código de la tienda' },
          help: { en: 'e.g. main', ru: 'например, main', es: 'p. ej. main' },
        },
        notifyOnNewOrder: {
          label: { en: 'Notify on new orders', ru: 'Уведомлять о новых заказах', es: 'Avisar de pedidos nuevos' },
        },
      },
    },
    hooks: {
      // Step 4.3 of the connection: your own checks, with the account's CRM at hand.
      async validateSettings({ settings, crm }) {
        const sites = await crm.sites();
        if (settings.siteCode in sites) return { ok: true };
        const known = Object.keys(sites).join(', ') || '-';
        return {
          ok: false,
          fieldErrors: {
            siteCode: {
              en: `No store "${settings.siteCode}" in this account. Stores: ${known}`,
              ru: `В этой учётной записи нет магазина «${settings.siteCode}». Магазины: ${known}`,
              es: `No hay tienda «${settings.siteCode}» en esta cuenta. Tiendas: ${known}`,
            },
          },
        };
      },
      onConnected({ connection, created }) {
        console.info(`${INTEGRATION_CODE}: ${created ? 'connected' : 'reconnected'} ${connection.accountUrl}`);
      },
      onActivityChanged({ connection, activity }) {
        console.info(`${INTEGRATION_CODE}: ${connection.accountUrl} is ${activity.active && !activity.freeze ? 'on' : 'off'}`);
      },
    },
  });
}

export const logoSvg =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="14" fill="#2563eb"/>' +
  '<path d="M18 34l9 9 19-21" fill="none" stroke="#fff" stroke-width="6" stroke-linecap="round"/></svg>';

export const description = '{{name}}: describe what your module does for the account.';
