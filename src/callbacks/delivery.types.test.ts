/**
 * Type tests for the delivery and payment kinds (STYLE B3): compiled by `npm run typecheck`; each
 * `@ts-expect-error` fails the typecheck if the line below it ever compiles.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { defineModule } from '../connect/module-definition.js';
import { CallbackFile } from './declaration.js';

const base = { integrationCode: 'types', name: 'Types', logo: 'https://types.example/logo.svg', baseUrl: 'https://types.example' };

export const typed = defineModule({
  ...base,
  integrations: { delivery: { payerType: ['receiver'], statusList: [{ code: 'new', name: 'New' }] } as const },
  callbacks: {
    delivery: {
      calculate: {
        handle: ({ input }) => {
          const grams: number | undefined = input.packages?.[0]?.weight;
          // @ts-expect-error weight is a number
          const text: string | undefined = input.packages?.[0]?.weight;
          void text;
          return [{ code: 'std', name: 'Standard', cost: grams ?? 0 }];
        },
      },
      // @ts-expect-error save must answer the deliveryId
      save: { handle: () => ({ trackNumber: 'T1' }) },
      print: { handle: ({ input }) => new CallbackFile('application/pdf', new TextEncoder().encode(input.deliveryIds.join())) },
    },
    payment: {
      create: { handle: ({ input }) => ({ paymentId: input.invoiceUuid, invoiceUrl: 'https://pay.example/x' }) },
      // @ts-expect-error refund answers the refund
      refund: { handle: () => undefined },
    },
  },
});

const unknownAction = () => defineModule({
  ...base,
  callbacks: {
    delivery: {
      // @ts-expect-error not a delivery action
      tarifs: { handle: () => [] },
    },
  },
});

const unknownPayer = () => defineModule({
  ...base,
  // @ts-expect-error a payer the CRM does not know
  integrations: { delivery: { payerType: ['nobody'] } },
});

it('delivery and payment declaration types compile as the comments say', () => {
  assert.equal(typed.callbacks.filter((c) => c.group === 'delivery').length, 3);
  assert.throws(unknownAction, /callbacks\.delivery\.tarifs: unknown action/);
  assert.throws(unknownPayer, /integrations\.delivery\.payerType\.0/);
});
