/**
 * Jobs declared in `defineModule`, run by `startModule` (SQLite, in process) for a connection made through the
 * real connect form: the run happens, and the settings page the CRM opens shows its status, last and next run.
 * Also: the example order-sync's periodic sync is a declared job.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defineModule } from '../connect/module-definition.js';
import { orderSyncModule } from '../../examples/order-sync/module.js';
import { startTestbed } from '../testing/index.js';

describe('jobs in a running module', () => {
  it('a declared job runs for a connected account and its status shows on the settings page', async () => {
    let runs = 0;
    const testbed = await startTestbed({
      module: (baseUrl) =>
        defineModule({
          integrationCode: 'jobs-demo',
          name: 'Jobs demo',
          logo: `${baseUrl}/logo.svg`,
          baseUrl,
          jobs: {
            pollSomething: {
              every: '5m',
              async run({ crm }) {
                await crm.credentials();
                runs += 1;
              },
            },
          },
        }),
    });
    try {
      const connection = await testbed.connect();
      const jobs = testbed.module.jobs!;
      assert.ok(jobs, 'startModule runs the declared jobs');
      assert.equal(await jobs.runNow('pollSomething'), 1);
      for (let i = 0; i < 400 && (await jobs.status())[0]?.status !== 'ok'; i += 1) await new Promise((r) => setTimeout(r, 25));
      assert.equal(runs, 1);
      const page = await testbed.openSettings(connection);
      assert.match(page.body, /<tr data-job="pollSomething" data-status="ok">/);
      assert.match(page.body, /Background jobs/);
      const russian = await testbed.browser.get(`${testbed.module.url}/settings?lang=ru`);
      assert.match(russian.body, /Фоновые задачи/);
    } finally {
      await testbed.close();
    }
  });

  it('the example order-sync declares its periodic sync as a job', () => {
    const module = orderSyncModule('https://sync.example');
    assert.deepEqual(module.jobs.map((job) => [job.name, job.everyMs]), [['syncOrders', 300_000]]);
    // Each connection's own "Sync every" setting sets its interval.
    assert.equal(module.jobs[0]!.everyFor?.({ settings: { syncEveryMinutes: '60' } } as never), '60m');
  });
});

describe('fleet health on the settings page', () => {
  it('a connection marked key_revoked tells the person, in their language; a healthy one shows nothing', async () => {
    const { FleetStore } = await import('../fleet/fleet-store.js');
    const { KyselyConnectionStore } = await import('../store/kysely-connection-store.js');
    const testbed = await startTestbed({
      module: (baseUrl) => defineModule({ integrationCode: 'health-demo', name: 'Health demo', logo: `${baseUrl}/logo.svg`, baseUrl }),
    });
    try {
      const connection = await testbed.connect();
      const healthy = await testbed.openSettings(connection);
      assert.doesNotMatch(healthy.body, /data-health=/);
      assert.ok(testbed.store instanceof KyselyConnectionStore);
      await new FleetStore(testbed.store.db).setHealth(connection.id, { health: 'key_revoked' });
      const page = await testbed.browser.get(`${testbed.module.url}/settings?lang=es`);
      assert.match(page.body, /data-health="key_revoked"/);
      assert.match(page.body, /El CRM rechaza la clave API/);
    } finally {
      await testbed.close();
    }
  });
});
