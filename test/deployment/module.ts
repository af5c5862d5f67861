/**
 * The module the deployment test runs on three instances (and gives to `fleet reregister`): two jobs per
 * connection that each fire a burst of CRM calls, so two instances hit one account at once. MODULE_VERSION=2
 * changes the registration payload (another country list), which is what the fleet re-registration sends.
 * Each job run announces itself on stdout (the test kills an instance mid-run) and counts completions in Redis.
 */
import { Redis } from 'ioredis';
import { defineModule, type JobInput } from '../../src/index.js';

export const DEPLOY_CODE = 'deploy-test';
// Opened on the first run: the fleet CLI loads this file too and must be able to exit.
let redis: Redis | undefined;
const prefix = process.env.DEPLOY_PREFIX ?? 'deploy:';
const burst = Number(process.env.DEPLOY_BURST ?? 8);

const burstJob = (name: string): JobInput => ({
  every: '5m',
  // Runs take 1–3 s; an item still active 15 s + 1 s after it started is taken as lost (the killed instance's).
  // Generous, since a live run outlasting it would be started a second time (pg-boss 10 has no heartbeat).
  timeout: '15s',
  retry: { limit: 2, delay: '1s', backoff: 'fixed' },
  async run({ connection, crm, attempt }) {
    process.stdout.write(`job-started ${name} ${connection.id} attempt=${attempt}\n`);
    await Promise.all(Array.from({ length: burst }, () => crm.credentials()));
    redis ??= new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
    await redis.incr(`${prefix}done:${connection.id}:${name}`);
    process.stdout.write(`job-done ${name} ${connection.id}\n`);
  },
});

export function createModule(baseUrl: string) {
  return defineModule({
    integrationCode: DEPLOY_CODE,
    name: 'Deployment test',
    logo: `${baseUrl}/logo.svg`,
    baseUrl,
    availableCountries: process.env.MODULE_VERSION === '2' ? ['RU', 'ES'] : ['RU'],
    jobs: { syncA: burstJob('syncA'), syncB: burstJob('syncB') },
  });
}
