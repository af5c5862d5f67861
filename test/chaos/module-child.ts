/**
 * A module in a process of its own, for the chaos runs that SIGKILL it and start it again on the same store, and
 * for the fuzzer (a crash is this process exiting). Configured by the JSON in `CHAOS_CHILD`; prints `ready` once
 * it listens. Every `onConnected` call is appended, synchronously, to `hookLog` before the hook returns.
 */
import { appendFileSync } from 'node:fs';
import { createCrmTransport } from '../../src/crm/transport.js';
import { startModule } from '../../src/host/start-module.js';
import { openConnectionStore } from '../../src/store/open-connection-store.js';
import { chaosModule, chaosRetry, CHAOS_REQUEST_TIMEOUT_MS } from './chaos-module.js';

export interface ChildConfig {
  readonly port: number;
  readonly databaseUrl: string;
  readonly keyring: string;
  readonly hookLog: string;
  /** Submit throttle and CRM budget share as in production (true), or off (fuzzing needs every path). */
  readonly production?: boolean;
}

const config = JSON.parse(process.env.CHAOS_CHILD ?? '{}') as ChildConfig;
const store = await openConnectionStore({ databaseUrl: config.databaseUrl, keyring: config.keyring });
const module = await startModule({
  module: chaosModule(`http://127.0.0.1:${config.port}`, (call) => appendFileSync(config.hookLog, `${JSON.stringify(call)}\n`)),
  port: config.port,
  store,
  cookieSecret: 'chaos-cookie-secret-chaos-cookie-secret',
  transport: createCrmTransport({
    accountUrlPolicy: { allowLocal: true },
    requestTimeoutMs: CHAOS_REQUEST_TIMEOUT_MS,
    connectTimeoutMs: CHAOS_REQUEST_TIMEOUT_MS,
    ...(config.production ? {} : { rateLimiter: false as const }),
  }),
  retry: chaosRetry,
  ...(config.production ? {} : { throttle: { perClient: false, perAccount: false }, unauthenticatedShare: false as const }),
  logger: false,
});
process.stdout.write('ready\n');
// The fuzzer's memory figure: the heap after a full collection (the process runs with --expose-gc).
process.on('SIGUSR2', () => {
  (globalThis as { gc?: () => void }).gc?.();
  process.stdout.write(`heap ${process.memoryUsage().heapUsed}\n`);
});
const stop = async () => {
  await module.close();
  await store.close();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
