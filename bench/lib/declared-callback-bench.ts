/**
 * The bench of a declared callback, shared by bench/callbacks.ts and bench/delivery.ts: a module with that one
 * callback against the bare route doing the same handler work (bench-store.ts), on one SQLite store of active
 * connections, at 64 concurrent connections, alternating rounds (kit-vs-bare.ts). Target: throughput ratio ≥ 0.90.
 * Flags: [--seconds 1] [--rounds 25] [--connections 1000].
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { z } from 'zod';
import { defineModule, type ModuleDefinitionInput } from '../../src/connect/module-definition.js';
import { startModule } from '../../src/host/start-module.js';
import { generateKeyEntry } from '../../src/store/keyring.js';
import { openConnectionStore } from '../../src/store/open-connection-store.js';
import { seedActiveConnections, startBareCallback } from './bench-store.js';
import { compareKitWithBare } from './kit-vs-bare.js';
import type { LoadRequest } from './load.js';
import { BenchReport } from './report.js';

export interface DeclaredCallbackBench<S extends z.ZodType> {
  /** The bench's name in the table (`callbacks`, `delivery`). */
  readonly bench: string;
  readonly title: string;
  readonly figure: string;
  readonly kitName: string;
  /** The module's one callback, declared as a module would. */
  readonly callbacks: ModuleDefinitionInput['callbacks'];
  /** Where the CRM posts it, the form field holding its JSON, and its schema (the bare route's side). */
  readonly path: string;
  readonly field: string;
  readonly schema: S;
  /** The handler work both sides do. */
  readonly handle: (input: z.output<S>) => unknown;
  /** The JSON input of the i-th request. */
  readonly input: (i: number) => unknown;
}

const CONCURRENCY = 64;
const TARGET = 0.9;

/** The two servers of a declared-callback comparison, on one store of `count` active connections. */
export async function startDeclaredCallbackSides<S extends z.ZodType>(spec: DeclaredCallbackBench<S>, count: number) {
  const dir = mkdtempSync(join(tmpdir(), `rcmk-bench-${spec.bench}-`));
  const store = await openConnectionStore({ databaseUrl: join(dir, 'module.sqlite'), keyring: generateKeyEntry('bench') });
  const clientIds = await seedActiveConnections(store, count);
  const module = await startModule({
    module: defineModule({ integrationCode: 'bench', name: 'Bench', logo: 'https://bench.example/logo.svg', baseUrl: 'http://127.0.0.1', callbacks: spec.callbacks }),
    store,
    cookieSecret: 'bench-cookie-secret-bench-cookie-secret',
    accountUrlPolicy: { allowLocal: true },
    logger: false,
  });
  const bare = await startBareCallback({ store, path: spec.path, field: spec.field, schema: spec.schema, handle: spec.handle });
  const requests: LoadRequest[] = clientIds.map((clientId, i) => ({
    method: 'POST' as const,
    path: spec.path,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ clientId, [spec.field]: JSON.stringify(spec.input(i)) }).toString(),
  }));
  return {
    kit: { name: spec.kitName, url: module.url, requests },
    bare: { name: 'bare Fastify route', url: bare.url, requests },
    async close() {
      await module.close();
      await bare.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function runDeclaredCallbackBench<S extends z.ZodType>(spec: DeclaredCallbackBench<S>): Promise<void> {
  const { values } = parseArgs({
    // 25 rounds: one round's ratio ranges over ±25 % here (0.69–1.19 on 2026-12-02), which left the median of 15
    // rounds uncertain by about ±4 %, as much as the margin these targets are about.
    options: { seconds: { type: 'string', default: '1' }, rounds: { type: 'string', default: '25' }, connections: { type: 'string', default: '1000' } },
  });
  const count = Number(values.connections);
  const report = new BenchReport(spec.bench);
  const sides = await startDeclaredCallbackSides(spec, count);
  await compareKitWithBare(report, {
    figure: spec.figure,
    title: `${spec.title}: ${count} connections, SQLite`,
    kit: sides.kit,
    bare: sides.bare,
    requests: sides.kit.requests,
    seconds: Number(values.seconds),
    rounds: Number(values.rounds),
    connections: CONCURRENCY,
    target: TARGET,
  });
  await sides.close();
  report.finish();
}
