import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { defineModule } from '../connect/module-definition.js';
import { registrationPayload } from '../connect/registration.js';
import { ConfigError } from '../errors.js';
import { defineCallback } from './declaration.js';

const base = { integrationCode: 'acme', name: 'Acme', logo: 'https://acme.example/logo.svg', baseUrl: 'https://acme.example/app' };
const ping = defineCallback({ input: z.object({ n: z.number() }), handle: ({ input }) => ({ n: input.n }) });

describe('callback declarations', () => {
  it('a bad declaration throws once, naming every problem by path', () => {
    assert.throws(
      () =>
        defineModule({
          ...base,
          callbacks: {
            actions: {
              activity: ping,
              settings: ping,
              'bad name': ping,
              noHandler: { input: z.object({}) } as never,
              badPath: { ...ping, path: 'relative' },
              clash: { ...ping, path: '/callback/ping2' },
              ping2: ping,
              onAPage: { ...ping, path: '/settings' },
            },
            shipping: {},
          } as never,
        }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        const text = error.problems.join('\n');
        for (const expected of [
          'callbacks.actions.activity: served by the kit itself',
          'callbacks.actions.settings: served by the kit itself (use hooks.onCrmSettings)',
          'callbacks.actions.bad name: action names',
          'callbacks.actions.noHandler.handle must be a function',
          'callbacks.actions.badPath.path must start with "/"',
          'callbacks.shipping: unknown group',
        ])
          assert.ok(text.includes(expected), `${expected}\n--- in ---\n${text}`);
        return true;
      },
    );
  });

  it('two callbacks on one path, or a callback on one of the kit\'s paths, are refused', () => {
    assert.throws(() => defineModule({ ...base, callbacks: { actions: { a: { ...ping, path: '/x' }, b: { ...ping, path: '/x' } } } }), /share POST \/x/);
    assert.throws(() => defineModule({ ...base, callbacks: { actions: { a: { ...ping, path: '/settings' } } } }), /is one of paths/);
  });

  it('the registration carries every declared action with the base path, the built-in settings first', () => {
    const module = defineModule({ ...base, callbacks: { actions: { ping } }, paths: { settingsCallback: '/crm/settings' } });
    const payload = registrationPayload(module, { clientId: 'c', settings: {} }, { locale: 'en' });
    assert.deepEqual(payload.actions, { activity: '/app/activity', settings: '/app/crm/settings', ping: '/app/callback/ping' });
    assert.equal(payload.baseUrl, 'https://acme.example');
  });

  it('integration callbacks go under their kind, beside its configuration, with the base path', () => {
    const module = defineModule({
      ...base,
      integrations: { delivery: { payerType: ['sender'] } },
      callbacks: { delivery: { calculate: { handle: () => [] }, get: { path: '/d/get', handle: () => ({}) } } },
    });
    const payload = registrationPayload(module, { clientId: 'c', settings: {} }, { locale: 'en' });
    assert.deepEqual(payload.integrations, {
      delivery: { payerType: ['sender'], actions: { calculate: '/app/callback/delivery/calculate', get: '/app/d/get' } },
    });
    assert.equal(module.callbacks.find((c) => c.action === 'get')?.method, 'GET');
  });
});
