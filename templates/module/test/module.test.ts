/**
 * Your module against a local CRM: the emulator and the module on free ports, a real connect through the form,
 * the settings page as the CRM opens it, and the CRM switching the module off.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestbed, type Testbed } from 'retailcrm-module-kit/testing';
import { createModule } from '../src/module.js';

describe('{{code}}', () => {
  let bed: Testbed;
  before(async () => {
    bed = await startTestbed({ module: createModule });
  });
  after(() => bed.close());

  it('refuses a store the account does not have, naming the field', async () => {
    const attempt = await bed.submitConnect({ settings: { siteCode: 'no-such-store' } });
    assert.equal(attempt.ok, false);
    assert.match(attempt.fieldErrors.siteCode ?? '', /no-such-store/);
  });

  it('connects an account through its form and registers in the CRM', async () => {
    const connection = await bed.connect({ settings: { siteCode: 'main' } });
    assert.equal(connection.state, 'active');
    assert.equal(connection.settings.notifyOnNewOrder, true);
    const [registered] = bed.emulator.integrationModules('demo');
    assert.equal(registered?.code, connection.moduleCode);
    assert.equal(registered?.active, true);
  });

  it('shows its settings page when the CRM opens it', async () => {
    const connection = await bed.connect({ settings: { siteCode: 'main' } });
    const page = await bed.openSettings(connection);
    assert.equal(page.status, 200);
    assert.match(page.body, /value="main"/);
  });

  it('follows the CRM switching it off', async () => {
    const connection = await bed.connect({ settings: { siteCode: 'main' } });
    await bed.setActivity(connection, { active: false });
    assert.equal((await bed.store.findById(connection.id))?.active, false);
  });
});
