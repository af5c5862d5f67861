/**
 * One module instance of the deployment test, as a process of its own (so the test can SIGKILL it): the store on
 * PostgreSQL, the rate limit shared through Redis, jobs on pg-boss with fast recovery of a killed peer's items.
 */
import { Redis } from 'ioredis';
import { createRedisRateLimiter, openConnectionStore, parseKeyring, startModule } from '../../src/index.js';
import { createModule } from './module.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const keyring = parseKeyring(env('MODULE_SECRET_KEYS'));
const store = await openConnectionStore({ keyring, databaseUrl: env('DATABASE_URL'), postgresSchema: env('PG_SCHEMA') });
const redis = new Redis(env('REDIS_URL'));
const running = await startModule({
  module: createModule(env('MODULE_BASE_URL')),
  store,
  keyring,
  port: Number(env('PORT')),
  accountUrlPolicy: { allowLocal: true },
  rateLimiter: createRedisRateLimiter({ redis, prefix: env('REDIS_RATE_PREFIX'), leaseMs: Number(env('REDIS_LEASE_MS')) }),
  logger: false,
  jobs: { pollSeconds: 0.5, checkEveryMs: 300, concurrency: 2, pgBossSchema: `${env('PG_SCHEMA')}_boss`, pgBossRecovery: { maintenanceIntervalSeconds: 1, expireSlackSeconds: 1 } },
});
process.stdout.write(`listening ${running.url}\n`);
process.once('SIGTERM', () => {
  void running.close().finally(() => {
    redis.disconnect();
    void store.close().finally(() => process.exit(0));
  });
});
