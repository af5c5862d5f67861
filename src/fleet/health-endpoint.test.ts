/**
 * `/health` says whether this instance can serve: the store, the shared rate limiter (Redis down still serves,
 * reported as degraded) and shutdown (503 once closing began, so the balancer stops sending).
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { request } from 'undici';
import { defineModule } from '../connect/module-definition.js';
import { createRedisRateLimiter } from '../crm/redis-rate-limiter.js';
import { startModule } from '../host/start-module.js';
import { generateKeyEntry, parseKeyring } from '../store/keyring.js';

const module = (baseUrl: string) => defineModule({ integrationCode: 'health-test', name: 'Health', logo: 'https://m.example/l.svg', baseUrl });

async function health(url: string) {
  const response = await request(`${url}/health`);
  return { status: response.statusCode, body: (await response.body.json()) as { status: string; checks: Record<string, string> } };
}

describe('/health of an instance', () => {
  for (const [name, url, expected] of [
    ['Redis answering', process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', 'ok'],
    ['Redis down', 'redis://127.0.0.1:1', 'degraded'],
  ] as const) {
    it(`reports the shared rate limiter (${name})`, async () => {
      const down = url.endsWith(':1');
      const redis = down ? new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null }) : new Redis(url);
      redis.on('error', () => undefined);
      const running = await startModule({
        module,
        keyring: parseKeyring(generateKeyEntry('a')),
        dataDir: mkdtempSync(join(tmpdir(), 'rcmk-health-')),
        rateLimiter: createRedisRateLimiter({ redis }),
        logger: false,
      });
      try {
        const answer = await health(running.url);
        assert.equal(answer.status, 200);
        assert.deepEqual(answer.body, { status: expected, checks: { store: 'ok', shutdown: 'ok', rateLimiter: expected } });
      } finally {
        await running.close();
        redis.disconnect();
      }
    });
  }
});
