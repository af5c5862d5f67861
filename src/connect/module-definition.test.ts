import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { defineModule, settingInput, settingOptions } from './module-definition.js';
import { registrationChanged, registrationPayload } from './registration.js';

const base = { integrationCode: 'acme', name: 'Acme', logo: 'https://acme.example/logo.svg', baseUrl: 'https://acme.example/' };

describe('defineModule', () => {
  it('applies defaults, adds the registration rights, trims the baseUrl and freezes the result', () => {
    const module = defineModule({ ...base, scopes: ['order_read'], credentials: ['/api/orders'] });
    assert.equal(module.code, 'acme');
    assert.equal(module.apiVersion, 5);
    assert.equal(module.baseUrl, 'https://acme.example');
    assert.deepEqual(module.scopes, ['integration_read', 'integration_write', 'order_read']);
    assert.deepEqual(module.credentials, ['/api/integration-modules/{code}', '/api/integration-modules/{code}/edit', '/api/orders']);
    assert.deepEqual([module.paths.connect, module.paths.settings, module.paths.activity, module.paths.health], ['/connect', '/settings', '/activity', '/health']);
    assert.ok(Object.isFrozen(module));
  });

  it('reports every problem at once, naming each', () => {
    try {
      defineModule({
        integrationCode: 'acme sync',
        code: 'other',
        name: '',
        logo: 'logo.svg',
        baseUrl: 'ftp://x',
        apiVersion: 0,
        paths: { activity: 'activity' },
        settings: { schema: z.object({ apiKey: z.string(), a: z.string() }), fields: { apiKey: { label: 'x' }, b: { label: 'y' } } as never },
      });
      assert.fail('should throw');
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      const text = error.problems.join('\n');
      for (const expected of ['integrationCode is required', 'name is required', 'logo must be', 'baseUrl must be', 'apiVersion must be', 'paths.activity must start', 'settings.fields.a is missing', 'settings.fields.b is not in', '"apiKey" is reserved'])
        assert.ok(text.includes(expected), `missing: ${expected}\n${text}`);
    }
  });

  it('refuses a code that does not start with integrationCode (the CRM would refuse it)', () => {
    assert.throws(() => defineModule({ ...base, code: 'other-1' }), /must start with integrationCode "acme"/);
    assert.equal(defineModule({ ...base, code: 'acme-2' }).code, 'acme-2');
  });

  it('infers inputs from the settings schema', () => {
    const settings = {
      schema: z.object({ on: z.boolean().default(false), n: z.number().optional(), pick: z.enum(['a', 'b']), text: z.string() }),
      fields: { on: { label: 'On' }, n: { label: 'N' }, pick: { label: 'Pick' }, text: { label: 'Text', input: 'text' as const } },
    };
    assert.deepEqual(['on', 'n', 'pick', 'text'].map((key) => settingInput(settings, key)), ['checkbox', 'number', 'select', 'text']);
    assert.deepEqual(settingOptions(settings, 'pick').map((option) => option.value), ['a', 'b']);
  });
});

describe('registration payload', () => {
  it('sends the origin as baseUrl and full action paths, so a path prefix survives either joining rule', () => {
    const module = defineModule({ ...base, baseUrl: 'https://acme.example/crm-module', name: { en: 'Acme', ru: 'Акме' } });
    const payload = registrationPayload(module, { clientId: 'c1', settings: {} }, { locale: 'ru' });
    assert.equal(payload.baseUrl, 'https://acme.example');
    assert.deepEqual(payload.actions, { activity: '/crm-module/activity', settings: '/crm-module/callback/settings' });
    assert.equal(payload.accountUrl, 'https://acme.example/crm-module/settings');
    assert.equal(payload.name, 'Акме');
    assert.equal(payload.active, true);
    assert.equal(payload.code, 'acme');
    assert.equal(payload.integrationCode, 'acme');
  });

  it('ignores the display name when deciding whether to re-register', () => {
    const module = defineModule({ ...base, name: { en: 'Acme', ru: 'Акме' }, integrations: (s: Record<string, unknown>) => ({ x: s.x }) } as never);
    const en = registrationPayload(module, { clientId: 'c', settings: { x: 1 } }, { locale: 'en' });
    const ru = registrationPayload(module, { clientId: 'c', settings: { x: 1 } }, { locale: 'ru' });
    const changed = registrationPayload(module, { clientId: 'c', settings: { x: 2 } }, { locale: 'en' });
    assert.equal(registrationChanged(en, ru), false);
    assert.equal(registrationChanged(en, changed), true);
  });
});

describe('defineModule: rights are checked when the module is defined, not when a person connects', () => {
  const problemsOf = (input: Record<string, unknown>): readonly string[] => {
    try {
      defineModule({ ...base, ...input } as Parameters<typeof defineModule>[0]);
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      return error.problems;
    }
    return [];
  };

  it('refuses an unknown scope and suggests the one meant', () => {
    assert.deepEqual(problemsOf({ scopes: ['order_raed'] }), ['defineModule: scopes: "order_raed" is not a scope the CRM knows: did you mean "order_read"?']);
    const [far] = problemsOf({ scopes: ['everything'] });
    assert.match(far ?? '', /"everything" is not a scope the CRM knows \(known: order_read, order_write, .*segment_read\)/);
  });

  it('takes every known scope', () => {
    assert.deepEqual(problemsOf({ scopes: ['custom_fields_write', 'analytics_write', 'segment_read', 'payments_read'] }), []);
  });

  it('refuses legacy paths with a version, a query or a near miss of a known path, and takes other bare paths', () => {
    assert.deepEqual(problemsOf({ credentials: ['/api/v5/orders', 'orders', '/api/orders/', '/api/ordres', '/api/telephony/call/event'] }), [
      'defineModule: credentials: "/api/v5/orders" must not carry a version: write /api/orders',
      'defineModule: credentials: "orders" must start with /api/, e.g. /api/orders',
      'defineModule: credentials: "/api/orders/" must be a bare path, with no query, space or trailing "/"',
      'defineModule: credentials: "/api/ordres" is not a known path: did you mean /api/orders?',
    ]);
  });

  it('types scopes as the known names, so a typo fails to compile', () => {
    // @ts-expect-error: 'order_raed' is not a Scope
    const typo = () => defineModule({ ...base, scopes: ['order_raed'] });
    assert.throws(typo, ConfigError);
  });
});

describe('defineModule: the settings schema must be zod 4', () => {
  it('names zod 3 instead of failing deep inside the form', () => {
    // A zod 3 object schema has `shape` and `_def` but no `_zod`: this is its outward shape.
    const zod3Like = { shape: { a: {} }, _def: { typeName: 'ZodObject' }, safeParse: () => ({ success: true }) };
    assert.throws(
      () => defineModule({ ...base, settings: { schema: zod3Like as never, fields: { a: { label: 'A' } } } }),
      (error: unknown) => error instanceof ConfigError && /zod 4 object .* looks like zod 3/.test(error.problems.join()),
    );
  });
});
