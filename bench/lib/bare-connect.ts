/**
 * The least a secure connect can do, by hand, for bench/connect.ts to measure the kit against: a form page with a
 * CSRF token in a cookie, a POST that checks it, the three CRM calls over a new connection to the account (as any
 * first call to an account is), the API key and clientId sealed with AES-256-GCM, the clientId's lookup HMAC, one
 * row in SQLite, and the redirect. No logging, no drafts, no events, no fleet bookkeeping, no settings, no
 * localization, no rate limit, no URL policy. Its rate over the bare three calls is the floor of the connect
 * target: what no implementation of the flow goes above on this machine.
 */
import { createCipheriv, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import formbody from '@fastify/formbody';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { Pool } from 'undici';

export interface BareConnect {
  readonly url: string;
  readonly rows: () => number;
  close(): Promise<void>;
}

/** Starts the bare connect on a free loopback port; the CRM calls go to `crmPort` with the account's host. */
export async function startBareConnect(dir: string, crmPort: number, moduleUrl: string): Promise<BareConnect> {
  const db = new Database(join(dir, 'bare-connect.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('create table connections (id text primary key, account_url text unique, client_id_hash text unique, client_id_sealed text, api_key_sealed text, created_at text)');
  const insert = db.prepare('insert into connections values (?, ?, ?, ?, ?, ?)');
  const key = randomBytes(32);
  const seal = (text: string) => {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const sealed = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url');
  };

  const call = async (pool: Pool, host: string, apiKey: string, path: string, body?: string) => {
    const response = await pool.request({
      path,
      method: body ? 'POST' : 'GET',
      headers: { host, 'x-api-key': apiKey, ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      body,
    });
    const payload = (await response.body.json()) as { success?: boolean };
    if (response.statusCode >= 300 || payload.success !== true) throw new Error(`${path} answered ${response.statusCode}`);
    return payload;
  };

  const app = Fastify({ logger: false });
  await app.register(formbody);
  app.get('/connect', async (request, reply) => {
    const token = randomBytes(18).toString('base64url');
    const account = String((request.query as { account?: string }).account ?? '').replace(/[&<>"']/g, '');
    return reply
      .header('set-cookie', `csrf=${token}; Path=/; HttpOnly; SameSite=Lax`)
      .type('text/html')
      .send(`<form method="post"><input name="account" value="${account}"><input name="apiKey"><input type="hidden" name="_csrf" value="${token}"></form>`);
  });
  app.post('/connect', async (request, reply) => {
    const form = request.body as { account: string; apiKey: string; _csrf: string };
    const cookie = /(?:^|; )csrf=([^;]+)/.exec(request.headers.cookie ?? '')?.[1] ?? '';
    if (cookie.length !== form._csrf.length || !timingSafeEqual(Buffer.from(cookie), Buffer.from(form._csrf))) return reply.code(403).send('csrf');
    const accountUrl = new URL(form.account);
    const pool = new Pool(`http://127.0.0.1:${crmPort}`, { connections: 1 });
    try {
      await call(pool, accountUrl.host, form.apiKey, '/api/api-versions');
      await call(pool, accountUrl.host, form.apiKey, '/api/credentials');
      const clientId = randomUUID();
      const registration = { code: 'bench', integrationCode: 'bench', active: true, name: 'Bench', clientId, baseUrl: moduleUrl, actions: { activity: '/activity' }, accountUrl: `${moduleUrl}/settings` };
      await call(pool, accountUrl.host, form.apiKey, '/api/v5/integration-modules/bench/edit', new URLSearchParams({ integrationModule: JSON.stringify(registration) }).toString());
      const hash = createHmac('sha256', key).update(clientId).digest('base64url');
      insert.run(randomUUID(), accountUrl.origin, hash, seal(clientId), seal(form.apiKey), new Date().toISOString());
    } finally {
      await pool.close();
    }
    return reply.code(303).header('location', `${accountUrl.origin}/admin/integration/list`).send();
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url: `http://127.0.0.1:${(app.server.address() as { port: number }).port}`,
    rows: () => (db.prepare('select count(*) as n from connections').get() as { n: number }).n,
    async close() {
      await app.close();
      db.close();
    },
  };
}
