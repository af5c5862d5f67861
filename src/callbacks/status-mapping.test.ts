import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { defineModule } from '../connect/module-definition.js';
import { registrationPayload } from '../connect/registration.js';
import { deliveryStatusMapping } from './status-mapping.js';

const STATUSES = [{ code: 'created', name: 'Registered' }, { code: 'in-transit', name: 'In transit' }, { code: 'delivered', name: 'Delivered' }] as const;

describe('deliveryStatusMapping', () => {
  const mapping = deliveryStatusMapping(STATUSES);

  it('one optional, labelled setting per carrier status; the saved ones become settings.statuses', () => {
    assert.deepEqual(Object.keys(mapping.shape), ['status_created', 'status_in-transit', 'status_delivered']);
    assert.match(String((mapping.fields['status_delivered'].label as { ru: string }).ru), /«Delivered»/);
    const schema = z.object({ ...mapping.shape });
    assert.equal(schema.safeParse({ 'status_delivered': 'not a code!' }).success, false);
    const settings = schema.parse({ status_delivered: ' complete ', 'status_in-transit': '' });
    assert.deepEqual(mapping.statuses(settings), [{ code: 'complete', trackingStatusCode: 'delivered' }]);
  });

  it('goes into the registration through integrations as a function of the settings', () => {
    const module = defineModule({
      integrationCode: 'carrier',
      name: 'Carrier',
      logo: 'https://carrier.example/logo.svg',
      baseUrl: 'https://carrier.example',
      settings: { schema: z.object({ ...mapping.shape }), fields: { ...mapping.fields } },
      integrations: (settings) => ({ delivery: { statusList: [...STATUSES], settings: { statuses: mapping.statuses(settings) } } }),
      callbacks: { delivery: { calculate: { handle: () => [] } } },
    });
    const payload = registrationPayload(module, { clientId: 'c', settings: { status_created: 'new' } }, { locale: 'en' });
    const delivery = (payload.integrations as { delivery: { settings: unknown; actions: unknown } }).delivery;
    assert.deepEqual(delivery.settings, { statuses: [{ code: 'new', trackingStatusCode: 'created' }] });
    assert.deepEqual(delivery.actions, { calculate: '/callback/delivery/calculate' });
  });
});
