import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { coerceSettingsForm, ConnectStepError, missingRights, parseSettings } from './checks.js';
import { defineModule } from './module-definition.js';

const required = { scopes: ['integration_read', 'integration_write', 'order_read'], credentials: ['/api/integration-modules/{code}', '/api/orders'] };

describe('missingRights (PROTOCOL §4.2)', () => {
  it('judges by scopes when the account reports any', () => {
    assert.deepEqual(missingRights({ scopes: ['integration_read'], credentials: ['/api/orders'] }, required), ['integration_write', 'order_read']);
    assert.deepEqual(missingRights({ scopes: required.scopes, credentials: [] }, required), []);
  });

  it('falls back to legacy paths only when the account reports no scopes', () => {
    assert.deepEqual(missingRights({ scopes: [], credentials: ['/api/orders'] }, required), ['/api/integration-modules/{code}']);
    assert.deepEqual(missingRights({ scopes: [], credentials: [] }, { ...required, credentials: [] }), required.scopes);
  });

  it('matches pattern entries by their alternation only, everything else literally', () => {
    const granted = { scopes: [], credentials: ['/api/integration-modules/{code}', '/api/(orders|customers)'] };
    assert.deepEqual(missingRights(granted, required), []);
    assert.deepEqual(missingRights({ scopes: [], credentials: ['/api/.*'] }, { scopes: [], credentials: ['/api/orders'] }), ['/api/orders']);
  });
});

describe('settings from a form', () => {
  const module = defineModule({
    integrationCode: 'acme', name: 'Acme', logo: 'https://a.example/l.svg', baseUrl: 'https://a.example',
    settings: {
      schema: z.object({ on: z.boolean(), n: z.number().int().max(10).optional(), name: z.string().min(2) }),
      fields: { on: { label: 'On' }, n: { label: 'N' }, name: { label: 'Name' } },
    },
  });

  it('turns form strings into the schema types', () => {
    assert.deepEqual(coerceSettingsForm(module, { on: 'true', n: ' 7 ', name: ' Bob ' }), { on: true, n: 7, name: 'Bob' });
    assert.deepEqual(coerceSettingsForm(module, { n: '' }), { on: false, n: undefined, name: undefined });
  });

  it('reports schema errors per field in the person’s language', () => {
    try {
      parseSettings(module, { on: true, n: 11, name: 'B' }, 'ru');
      assert.fail('should throw');
    } catch (error) {
      assert.ok(error instanceof ConnectStepError);
      assert.deepEqual(Object.keys(error.fieldErrors ?? {}).sort(), ['n', 'name']);
      assert.match(error.fieldErrors?.name ?? '', /[а-я]/);
    }
  });
});
