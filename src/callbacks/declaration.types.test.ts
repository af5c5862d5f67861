/**
 * Type tests (STYLE B3): compiled by `npm run typecheck`; each `@ts-expect-error` fails the typecheck if the
 * line below it ever compiles. The runtime part only makes the file a test the runner accepts.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { z } from 'zod';
import { defineModule } from '../connect/module-definition.js';
import { defineCallback } from './declaration.js';

const Input = z.object({ sku: z.string(), quantity: z.number() });
const Output = z.object({ total: z.number() });

export const typed = defineCallback({
  input: Input,
  output: Output,
  handle: ({ input }) => {
    const quantity: number = input.quantity;
    // @ts-expect-error the input has no such field
    void input.price;
    return { total: quantity };
  },
});

defineCallback({
  input: Input,
  output: Output,
  // @ts-expect-error a result of the wrong shape
  handle: () => ({ total: 'many' }),
});

const moduleWithAnUnknownGroup = () =>
  defineModule({
    integrationCode: 'types',
    name: 'Types',
    logo: 'https://types.example/logo.svg',
    baseUrl: 'https://types.example',
    callbacks: {
      actions: { quote: typed },
      // @ts-expect-error an unknown group
      shipping: {},
    },
    hooks: {
      onCrmSettings: ({ settings, crm }) => {
        const language: string | undefined = settings.system_language?.value;
        void language;
        void crm.orders.list;
      },
      onActivityChanged: ({ crm }) => void crm.reference.statuses,
    },
  });

it('declaration types compile as the comments say; what the types refuse is refused at run time too', () => {
  assert.ok(typed.output);
  assert.throws(moduleWithAnUnknownGroup, /callbacks\.shipping: unknown group/);
});
