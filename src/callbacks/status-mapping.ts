/**
 * Settings for mapping a carrier's statuses to the account's order statuses (PROTOCOL-INTEGRATIONS §20.3
 * `settings.statuses`): one optional setting per carrier status, holding a CRM order-status code. The CRM then
 * moves an order to that status when tracking reports the carrier's one.
 * @module
 */
import { z } from 'zod';
import type { LocalizedText, SettingField } from '../connect/module-definition.js';
import type { DeliverySettings, DeliveryStatus } from '../protocol/index.js';

// No custom message: the kit shows zod's own, in the person's language.
const CODE = z.string().trim().max(64).regex(/^[A-Za-z0-9_-]*$/);

export interface StatusMapping<Key extends string> {
  /** Spread into your settings schema's shape. */
  readonly shape: Record<Key, z.ZodOptional<typeof CODE>>;
  /** Spread into your settings' `fields`. */
  readonly fields: Record<Key, SettingField>;
  /** `integrations.delivery.settings.statuses` from the saved settings (empty values are left out). */
  statuses(settings: Readonly<Record<string, unknown>>): NonNullable<DeliverySettings['statuses']>;
}

/**
 * @param statusList the carrier's statuses (the same list as `integrations.delivery.statusList`)
 * @param keyPrefix setting names are `<prefix><status code>`; default `status_`
 */
export function deliveryStatusMapping<const Code extends string, const Prefix extends string = 'status_'>(
  statusList: readonly (Omit<DeliveryStatus, 'code'> & { readonly code: Code })[],
  keyPrefix: Prefix = 'status_' as Prefix,
): StatusMapping<`${Prefix}${Code}`> {
  type Key = `${Prefix}${Code}`;
  const shape = {} as Record<Key, z.ZodOptional<typeof CODE>>;
  const fields = {} as Record<Key, SettingField>;
  for (const status of statusList) {
    const key = `${keyPrefix}${status.code}` as Key;
    shape[key] = CODE.optional();
    const label: LocalizedText = {
      en: `Order status for "${status.name}"`,
      ru: `Статус заказа для «${status.name}»`,
      es: `Estado del pedido para «${status.name}»`,
    };
    fields[key] = {
      label,
      help: { en: 'A status code from the CRM (Settings → Statuses); empty: leave the order as it is', ru: 'Код статуса из CRM (Настройки → Статусы); пусто: не менять заказ', es: 'Un código de estado del CRM (Ajustes → Estados); vacío: no cambiar el pedido' },
      input: 'text',
    };
  }
  return {
    shape,
    fields,
    statuses(settings) {
      return statusList.flatMap((status) => {
        const value = settings[`${keyPrefix}${status.code}`];
        return typeof value === 'string' && value !== '' ? [{ code: value, trackingStatusCode: status.code }] : [];
      });
    },
  };
}
