/**
 * What the callback benches share besides the round runner: a SQLite store of active connections, and the bare
 * Fastify route that does by hand what the kit does for a declared callback (form field, clientId, state, JSON,
 * schema), so the comparison measures the kit and nothing else.
 */
import formbody from '@fastify/formbody';
import Fastify from 'fastify';
import type { z } from 'zod';
import type { ConnectionStore } from '../../src/store/types.js';

/** `count` active connections of module `bench`; their clientIds. */
export async function seedActiveConnections(store: ConnectionStore, count: number, from = 0): Promise<string[]> {
  const clientIds: string[] = [];
  for (let i = from; i < from + count; i++) {
    const { connection } = await store.saveConnect({
      moduleCode: 'bench',
      accountUrl: `https://shop${i}.retailcrm.ru`,
      apiKey: `key-${i}-${'x'.repeat(24)}`,
      settings: {},
      apiVersion: '5.0',
      scopes: [],
      newClientId: `client-${i}-${'c'.repeat(40)}`,
    });
    await store.update(connection.id, connection.version, { state: 'active', active: true });
    clientIds.push(connection.clientId);
  }
  return clientIds;
}

export interface BareCallback<S extends z.ZodType> {
  readonly store: ConnectionStore;
  readonly path: string;
  /** The form field holding the JSON input, as the CRM sends it. */
  readonly field: string;
  readonly schema: S;
  readonly handle: (input: z.output<S>) => unknown;
}

/** Starts the bare route on a free loopback port. */
export async function startBareCallback<S extends z.ZodType>(route: BareCallback<S>): Promise<{ url: string; close(): Promise<void> }> {
  const bare = Fastify({ logger: false });
  await bare.register(formbody);
  bare.post(route.path, async (request, reply) => {
    const form = request.body as Record<string, string | undefined>;
    const clientId = form.clientId;
    const raw = form[route.field];
    if (!clientId || !raw) return reply.code(400).send({ success: false, errorMsg: 'missing' });
    const connection = await route.store.findByClientId(clientId);
    if (!connection || connection.moduleCode !== 'bench') return reply.code(404).send({ success: false, errorMsg: 'unknown' });
    if (connection.state !== 'active') return reply.code(403).send({ success: false, errorMsg: 'inactive' });
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      return reply.code(400).send({ success: false, errorMsg: 'not JSON' });
    }
    const parsed = route.schema.safeParse(json);
    if (!parsed.success) return reply.code(400).send({ success: false, errorMsg: 'invalid' });
    return { success: true, result: route.handle(parsed.data) };
  });
  await bare.listen({ port: 0, host: '127.0.0.1' });
  return { url: `http://127.0.0.1:${(bare.server.address() as { port: number }).port}`, close: () => bare.close() };
}
