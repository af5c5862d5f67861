/**
 * `retailcrm-module-kit jobs status|revive`: the declared jobs' state per connection, read from the store (the
 * same rows the settings page shows, whichever engine runs them). No secret is printed.
 * @module
 */
import { Command } from 'commander';
import { JobStateStore, type JobState } from '../../jobs/state.js';
import { KyselyConnectionStore } from '../../store/kysely-connection-store.js';
import { CliFailure, CliUsageError, type CliCommand } from '../cli-command.js';
import { helpText } from '../cli-help.js';
import { explainMissingTables, openStoreFromFlags, type StoreFlags } from '../store-from-env.js';

const at = (date: Date | null) => (date ? date.toISOString().replace('T', ' ').slice(0, 19) : '—');
const row = (s: JobState, account: string) =>
  [s.connectionId, s.job.padEnd(16), s.status.padEnd(9), String(s.runs).padStart(5), String(s.failures).padStart(3), at(s.lastRunAt), at(s.nextRunAt), account, s.lastError ?? ''].join('  ');

async function withJobState<T>(flags: StoreFlags, work: (state: JobStateStore, store: KyselyConnectionStore) => Promise<T>): Promise<T> {
  const store = await openStoreFromFlags(flags, { migrate: false });
  try {
    if (!(store instanceof KyselyConnectionStore)) throw new CliUsageError('cli.ownStoreNeeded', { command: 'jobs' });
    // The store predates jobs (migration 010 not applied yet), or was never migrated: say what to do.
    return await explainMissingTables(() => work(new JobStateStore(store.db), store), 'cli.jobTablesMissing');
  } finally {
    await store.close();
  }
}

export const jobsCommand: CliCommand = {
  register(program, io) {
    const say = helpText(io.locale);
    const storeOptions = (command: Command) =>
      command
        .option('--database <url>', say('cli.help.shared.option.database'))
        .option('--data-dir <dir>', say('cli.help.shared.option.dataDir'), '.data');
    const group = program.command('jobs').description(say('cli.help.jobs.description'));

    storeOptions(group.command('status').description(say('cli.help.jobs.status.description')))
      .option('--job <name>', say('cli.help.jobs.status.option.job'))
      .option('--connection <id>', say('cli.help.jobs.status.option.connection'))
      .option('--dead', say('cli.help.jobs.status.option.dead'))
      .action(async (flags: StoreFlags & { job?: string; connection?: string; dead?: boolean }) => {
        await withJobState(flags, async (state, store) => {
          let states = await state.list({ ...(flags.job ? { job: flags.job } : {}), ...(flags.connection ? { connectionId: flags.connection } : {}) });
          if (states.length === 0) return io.out('No job has run or been queued yet.');
          const summary = new Map<string, Map<string, number>>();
          for (const s of states) {
            const counts = summary.get(s.job) ?? new Map<string, number>();
            counts.set(s.status, (counts.get(s.status) ?? 0) + 1);
            summary.set(s.job, counts);
          }
          for (const [job, counts] of summary) io.out(`${job}: ${[...counts].map(([status, n]) => `${n} ${status}`).join(', ')}`);
          if (flags.dead) states = states.filter((s) => s.status === 'dead');
          io.out('');
          io.out(['connection'.padEnd(36), 'job'.padEnd(16), 'status'.padEnd(9), ' runs', 'err', 'last run'.padEnd(19), 'next run'.padEnd(19), 'account', 'last error'].join('  '));
          const accounts = new Map((await store.list()).map((c) => [c.id, c.accountUrl]));
          for (const s of states) io.out(row(s, accounts.get(s.connectionId) ?? '?'));
        });
      });

    storeOptions(group.command('revive').argument('<connection>', say('cli.help.jobs.revive.argument.connection')).argument('<job>', say('cli.help.jobs.revive.argument.job')).description(say('cli.help.jobs.revive.description')))
      .action(async (connection: string, job: string, flags: StoreFlags) => {
        await withJobState(flags, async (state) => {
          if (!(await state.revive(connection, job))) throw new CliFailure('cli.jobNotDead', { job, connection });
          io.out(`revived: ${job} of ${connection} runs at the next tick`);
        });
      });
  },
};
