import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defineModule } from '../connect/module-definition.js';
import { payloadHash, payloadHasher } from './fleet-store.js';

const base = { integrationCode: 'acme', name: 'Acme', logo: 'https://acme.example/logo.svg', baseUrl: 'https://acme.example' };
const a = { clientId: 'client-a', settings: { region: 'north' } };
const b = { clientId: 'client-b', settings: { region: 'south' } };

describe('payloadHasher', () => {
  it('gives each connection the hash payloadHash gives, once for a module whose integrations are static', () => {
    const module = defineModule({ ...base, integrations: { embedJs: { entrypoint: '/widget.js' } } });
    const hashOf = payloadHasher(module);
    assert.equal(hashOf(a), payloadHash(module, a));
    assert.equal(hashOf(b), payloadHash(module, b));
    // The clientId is left out of the hash, and static integrations do not read the settings.
    assert.equal(hashOf(a), hashOf(b));
  });

  it('hashes per connection when the integrations depend on the settings', () => {
    const module = defineModule({ ...base, integrations: (settings) => ({ embedJs: { region: (settings as { region?: string }).region } }) });
    const hashOf = payloadHasher(module);
    assert.equal(hashOf(a), payloadHash(module, a));
    assert.equal(hashOf(b), payloadHash(module, b));
    assert.notEqual(hashOf(a), hashOf(b));
  });
});
