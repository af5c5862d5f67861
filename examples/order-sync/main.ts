/**
 * Runs the example module on its own, configured from the environment, e.g.
 *   MODULE_BASE_URL=https://sync.example.com MODULE_SECRET_KEYS=… DATABASE_URL=postgres://… tsx examples/order-sync/main.ts
 * For local development against the emulator use `npm run dev` instead.
 */
import { startModule } from 'retailcrm-module-kit';
import { ORDER_SYNC_LOGO_SVG } from './logo.js';
import { orderSyncModule } from './module.js';

const baseUrl = process.env.MODULE_BASE_URL ?? 'http://127.0.0.1:7800';
const running = await startModule({
  module: orderSyncModule(baseUrl),
  port: Number(process.env.PORT ?? 7800),
  host: process.env.HOST ?? '127.0.0.1',
  databaseUrl: process.env.DATABASE_URL,
  configure: (app) => {
    app.get('/logo.svg', async (_request, reply) => reply.type('image/svg+xml').send(ORDER_SYNC_LOGO_SVG));
  },
});
const stop = async () => {
  await running.close();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
