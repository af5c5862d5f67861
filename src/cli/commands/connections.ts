/**
 * `retailcrm-module-kit connections list|show`: what the store holds, without a single secret (no API key, no
 * clientId is ever printed).
 * @module
 */
import { Command } from 'commander';
import type { Connection } from '../../store/types.js';
import { redact } from '../../store/kysely-connection-store.js';
import { CliFailure, CliUsageError, type CliCommand, type CliIo } from '../cli-command.js';
import { helpText } from '../cli-help.js';
import { explainMissingTables, openStoreFromFlags, type StoreFlags } from '../store-from-env.js';

const row = (c: Connection) =>
  [c.id, c.state.padEnd(12), c.moduleCode.padEnd(20), c.accountUrl, c.updatedAt.toISOString()].join('  ');

function describe(connection: Connection, io: CliIo): void {
  io.out(`id:          ${connection.id}`);
  io.out(`account:     ${connection.accountUrl}`);
  io.out(`module code: ${connection.moduleCode}`);
  io.out(`state:       ${connection.state} (active=${connection.active}, freeze=${connection.freeze})`);
  io.out(`API version: ${connection.apiVersion ?? '—'}`);
  io.out(`scopes:      ${connection.scopes.join(', ') || '—'}`);
  // The store does not know which settings a module declared secret; those named like one are not printed.
  io.out(`settings:    ${JSON.stringify(redact(connection.settings))}`);
  io.out(`created:     ${connection.createdAt.toISOString()}`);
  io.out(`updated:     ${connection.updatedAt.toISOString()} (version ${connection.version})`);
}

export const connectionsCommand: CliCommand = {
  register(program, io) {
    const say = helpText(io.locale);
    const storeOptions = (command: Command) =>
      command
        .option('--database <url>', say('cli.help.shared.option.database'))
        .option('--data-dir <dir>', say('cli.help.shared.option.dataDir'), '.data');
    const group = program.command('connections').description(say('cli.help.connections.description'));

    storeOptions(group.command('list').description(say('cli.help.connections.list.description')))
      .option('--limit <n>', say('cli.help.connections.list.option.limit'), (value) => {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 1) throw new CliUsageError('cli.notPositive', { flag: '--limit', value });
        return n;
      }, 100)
      .action(async (flags: StoreFlags & { limit: number }) => {
        const store = await openStoreFromFlags(flags, { migrate: false });
        try {
          const connections = await explainMissingTables(() => store.list({ limit: flags.limit }));
          if (connections.length === 0) io.out('No connections.');
          for (const connection of connections) io.out(row(connection));
        } finally {
          await store.close();
        }
      });

    storeOptions(group.command('show').argument('<id>', say('cli.help.connections.show.argument.id')).description(say('cli.help.connections.show.description')))
      .action(async (id: string, flags: StoreFlags) => {
        const store = await openStoreFromFlags(flags, { migrate: false });
        try {
          const connection = await explainMissingTables(() => store.findById(id));
          if (!connection) throw new CliFailure('cli.connectionNotFound', { id });
          describe(connection, io);
          io.out('events:');
          for (const event of await store.listEvents(connection.id, 20))
            io.out(`  ${event.at.toISOString()}  ${event.type}  ${JSON.stringify(event.details)}`);
        } finally {
          await store.close();
        }
      });
  },
};
