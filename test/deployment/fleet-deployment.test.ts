/**
 * A realistic deployment (issue 15): three module instances (separate processes) behind Debian's nginx on
 * loopback, one PostgreSQL store, one Redis for the shared rate limit, the CRM emulator. People connect through
 * nginx, the CRM sends callbacks through it, every connection's two jobs run on pg-boss across the instances, and
 * `fleet reregister` (the CLI, its own process) re-registers every connection — while one instance is SIGKILLed
 * in the middle of a job run. Afterwards: the jobs completed exactly once each, the re-registration completed,
 * nothing was duplicated, callbacks kept landing, and the emulator's request log shows no account above its
 * rate limit (no 503, no second with more than 10 requests).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import { request } from 'undici';
import { startEmulator, type EmulatorHandle } from '../../src/emulator/index.js';
import { generateKeyEntry } from '../../src/store/keyring.js';
import { FormClient, formFields } from '../../src/testing/form-client.js';
import { freePort } from '../helpers/ports.js';
import { DEPLOY_CODE } from './module.js';

const NGINX = '/usr/sbin/nginx';
const PG_URL = process.env.DATABASE_URL_TEST ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ACCOUNTS = 6;
const JOBS = ['syncA', 'syncB'];
const run = `${process.pid}_${Date.now() % 100000}`;
const schema = `rcmk_deploy_${run}`;
const dir = mkdtempSync(join(tmpdir(), 'rcmk-deploy-'));
const keyring = generateKeyEntry('d');
const env = {
  DATABASE_URL: PG_URL,
  PG_SCHEMA: schema,
  REDIS_URL,
  REDIS_RATE_PREFIX: `rmk:deploy:${run}:`,
  DEPLOY_PREFIX: `deploy:${run}:`,
  MODULE_SECRET_KEYS: keyring,
  // A killed instance's permits stop counting after 2 s (default 30 s), so the survivors are not held back long.
  REDIS_LEASE_MS: '2000',
  // More calls per run than the account's budget per second: every run spans over a second, so it is still
  // running when the test sees it start.
  DEPLOY_BURST: '14',
  NODE_ENV: 'test',
};

const children: ChildProcess[] = [];
let emulator: EmulatorHandle;
let nginxUrl: string;
let redis: Redis;

/** Spawns a process, keeps its output, and resolves once a line matches `ready`. */
function spawnUntil(command: string, args: string[], extraEnv: Record<string, string>, ready: RegExp | null, log: string[]): Promise<ChildProcess> {
  const child = spawn(command, args, { env: { ...process.env, ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line) log.push(line);
      if (ready && log.some((line) => ready.test(line))) resolve(child);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${command} exited (${code}) before it was ready:\n${log.slice(-20).join('\n')}`)));
    if (!ready) resolve(child);
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 40_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const skip = existsSync(NGINX) ? false : `${NGINX} not installed (apt-get install nginx; .ci/run installs it)`;

describe('deployment: three instances behind nginx, PostgreSQL, Redis', { skip, timeout: 110_000 }, () => {
  const logs: string[][] = [[], [], []];

  before(async () => {
    redis = new Redis(REDIS_URL);
    emulator = await startEmulator({ port: 0 });
    // nginx first, on a free port (retried if another process takes it meanwhile), with no upstream yet; the
    // instances then listen on ports of their choosing, and nginx reloads with them (no port can be stolen).
    const config = (nginxPort: number, upstream: readonly string[]) => `daemon off;
${process.getuid?.() === 0 ? 'user root;' : ''}
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  upstream module { ${(upstream.length > 0 ? upstream : ['127.0.0.1:9']).map((a) => `server ${a} max_fails=1 fail_timeout=30s;`).join(' ')} }
  server {
    listen 127.0.0.1:${nginxPort};
    location / {
      proxy_pass http://module;
      proxy_set_header Host $http_host;
      proxy_next_upstream error timeout http_502 http_503 non_idempotent;
      proxy_connect_timeout 2s;
    }
  }
}
`;
    let nginx: ChildProcess | undefined;
    let nginxPort = 0;
    for (let attempt = 0; attempt < 5 && !nginx; attempt += 1) {
      nginxPort = await freePort();
      writeFileSync(join(dir, 'nginx.conf'), config(nginxPort, []));
      const nginxLog: string[] = [];
      const child = await spawnUntil(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], {}, null, nginxLog);
      const up = await until('nginx listening', async () => {
        if (child.exitCode !== null) return false;
        try {
          await (await request(`http://127.0.0.1:${nginxPort}/`, { reset: true })).body.text();
          return true;
        } catch {
          return undefined;
        }
      }, 10_000);
      if (up) nginx = child;
    }
    if (!nginx) throw new Error('nginx did not start');
    nginxUrl = `http://127.0.0.1:${nginxPort}`;
    await Promise.all(
      [0, 1, 2].map((i) =>
        spawnUntil(process.execPath, ['--import', 'tsx', 'test/deployment/instance.ts'], { PORT: '0', MODULE_BASE_URL: nginxUrl }, /^listening /, logs[i]!),
      ),
    );
    const upstream = logs.map((log) => log.find((l) => l.startsWith('listening '))!.slice('listening http://'.length));
    writeFileSync(join(dir, 'nginx.conf'), config(nginxPort, upstream));
    nginx.kill('SIGHUP');
    // Probes on fresh connections (an idle one could still be held by a worker of the old config), until three
    // in a row reach an instance.
    let healthy = 0;
    await until('nginx reloaded with the instances', async () => {
      try {
        const response = await request(`${nginxUrl}/health`, { reset: true });
        await response.body.text();
        healthy = response.statusCode === 200 ? healthy + 1 : 0;
        return healthy >= 3 ? true : undefined;
      } catch {
        return undefined;
      }
    });
  });

  after(async () => {
    const alive = children.filter((child) => child.exitCode === null && child.signalCode === null);
    for (const child of alive) child.kill('SIGTERM');
    const force = setTimeout(() => alive.forEach((child) => child.kill('SIGKILL')), 8000);
    await Promise.all(alive.map((child) => (child.exitCode !== null || child.signalCode !== null ? undefined : new Promise((resolve) => child.once('exit', resolve)))));
    clearTimeout(force);
    await emulator?.close();
    const keys = await redis.keys(`*${run}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`drop schema if exists "${schema}" cascade`);
    await client.query(`drop schema if exists "${schema}_boss" cascade`);
    await client.end();
  });

  it('connects, serves callbacks, runs jobs and re-registers the fleet while an instance dies', async () => {
    // Connect every account through nginx, as a person would: the form, its CSRF cookie, the POST.
    const accounts = Array.from({ length: ACCOUNTS }, (_, i) => emulator.createAccount({ name: `deploy${i}` }));
    for (const account of accounts) {
      const browser = new FormClient();
      const form = await browser.get(`${nginxUrl}/connect?account=${encodeURIComponent(account.url)}`);
      assert.equal(form.status, 200);
      const page = await browser.post(`${nginxUrl}/connect`, { ...formFields(form.body), account: account.url, apiKey: account.apiKey });
      assert.equal(page.status, 303, page.body.slice(0, 300));
    }
    // The CRM's activity callbacks reach the module through nginx.
    for (const account of accounts) assert.equal((await emulator.setActivity(account.name, DEPLOY_CODE, { active: true })).status, 200);

    // Every connection's jobs become due (as after five minutes); one instance claims the tick.
    const db = new pg.Client({ connectionString: PG_URL, options: `-c search_path="${schema}"` });
    await db.connect();
    const connectionIds = (await db.query<{ id: string }>('select id from rcmk_connections order by id')).rows.map((r) => r.id);
    assert.equal(connectionIds.length, ACCOUNTS);
    await db.query('delete from rcmk_job_tick');

    // The operator re-registers the fleet with the new payload (the CLI, a process of its own)…
    const cliLog: string[] = [];
    const cli = await spawnUntil(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'fleet', 'reregister', '--module', 'test/deployment/module.ts', '--base-url', nginxUrl, '--database', PG_URL, '--batch', '1', '--concurrency', '1'],
      { MODULE_VERSION: '2', RCMK_ALLOW_LOCAL: '1', DATABASE_URL: PG_URL, PGOPTIONS: `-c search_path=${schema}` },
      null,
      cliLog,
    );
    const cliExit = new Promise<number | null>((resolve) => cli.once('exit', (code) => resolve(code)));

    // …and the first instance to start a job run is killed in the middle of it.
    const instances = children.filter((c) => c.spawnargs.includes('test/deployment/instance.ts'));
    const victimIndex = await until('a job run starting', () => {
      const index = logs.findIndex((log) => log.some((l) => l.startsWith('job-started')));
      return index >= 0 ? index : undefined;
    });
    const victim = instances[victimIndex]!;
    victim.kill('SIGKILL');
    await new Promise((resolve) => victim.once('exit', resolve));
    const survivors = logs.filter((_, i) => i !== victimIndex);

    // Callbacks keep landing on the survivors.
    for (const account of accounts) assert.equal((await emulator.setActivity(account.name, DEPLOY_CODE, { active: true })).status, 200);

    // The re-registration completes…
    assert.equal(await cliExit, 0, cliLog.join('\n'));
    assert.ok(cliLog.some((l) => l === `done: ${ACCOUNTS} re-registered, 0 failed of ${ACCOUNTS}.`), cliLog.join('\n'));
    // …and so does every job, the killed run taken again by a survivor: each exactly once.
    await until('every job completed', async () => {
      const states = (await db.query<{ status: string }>('select status from rcmk_job_state')).rows;
      return states.length === ACCOUNTS * JOBS.length && states.every((s) => s.status === 'ok') ? true : undefined;
    }, 60_000);
    const jobLines = logs.flat().filter((l) => l.startsWith('job-'));
    for (const id of connectionIds)
      for (const job of JOBS)
        assert.equal(await redis.get(`deploy:${run}:done:${id}:${job}`), '1', `${job} of ${id}:\n${jobLines.filter((l) => l.includes(id)).join('\n')}`);
    const recovered = survivors.flat().filter((l) => /attempt=[2-9]/.test(l));
    assert.ok(recovered.length >= 1, 'the killed run was taken again by another instance');

    // Nothing duplicated: one connection and one registration per account, carrying the new payload.
    assert.equal(Number((await db.query('select count(*) as n from rcmk_connections')).rows[0].n), ACCOUNTS);
    for (const account of accounts) {
      const modules = emulator.integrationModules(account.name);
      assert.equal(modules.length, 1);
      assert.deepEqual(modules[0]!.availableCountries, ['RU', 'ES']);
    }
    await db.end();

    // No account above its rate limit: no 503, and no second of the log holds more than 10 of its requests.
    for (const account of accounts) {
      const log = emulator.requests(account.name);
      assert.equal(log.filter((r) => r.status === 503).length, 0, `503s for ${account.name}`);
      const times = log.map((r) => Date.parse(r.at)).sort((a, b) => a - b);
      for (let i = 10; i < times.length; i += 1) assert.ok(times[i]! - times[i - 10]! >= 1000 - 15, `${account.name}: 11 requests within a second`);
      assert.ok(log.length >= JOBS.length * 8, 'the jobs really called the CRM');
    }
  });
});
