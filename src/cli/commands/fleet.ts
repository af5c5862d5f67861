/**
 * `retailcrm-module-kit fleet reregister|health`: operations over every connection of a module. Both read the
 * module file (the payload comes from its definition) and the store; the CRM is reached through one transport
 * whose rate limit is shared with the running instances when REDIS_URL is set.
 * @module
 */
import { Command } from 'commander';
import cliProgress from 'cli-progress';
import { createConnectKit } from '../../connect/create-connect-kit.js';
import { limiterFromEnv } from '../limiter-from-env.js';
import { createCrmTransport } from '../../crm/transport.js';
import { loadModuleFile } from '../../dev/module-file.js';
import { ErrorCode } from '../../errors.js';
import { checkFleetHealth } from '../../fleet/health.js';
import { transportNotifier } from '../../fleet/notify.js';
import { FleetStore } from '../../fleet/fleet-store.js';
import { planReregistration, reregisterFleet } from '../../fleet/reregister.js';
import { LOCALES, type Locale } from '../../i18n/index.js';
import { KyselyConnectionStore } from '../../store/kysely-connection-store.js';
import type { ConnectionStore } from '../../store/types.js';
import { CliFailure, CliUsageError, type CliCommand, type CliIo } from '../cli-command.js';
import { helpText, type HelpText } from '../cli-help.js';
import { isProduction, openStoreFromFlags, type StoreFlags } from '../store-from-env.js';

interface FleetFlags extends StoreFlags {
  module: string;
  baseUrl?: string;
}

const positive = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new CliUsageError('cli.notNonNegative', { flag: `--${name}`, value });
  return n;
};
const list = (value: string | undefined) => (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);

/** Everything a fleet command needs, closed together. */
async function openFleet(flags: FleetFlags) {
  const baseUrl = flags.baseUrl ?? process.env.MODULE_BASE_URL;
  if (!baseUrl) throw new CliFailure('cli.fleetBaseUrlMissing', {}, ErrorCode.ConfigInvalid);
  const file = await loadModuleFile(flags.module);
  const module = file.createModule(baseUrl);
  const store: ConnectionStore = await openStoreFromFlags(flags, { migrate: true });
  if (!(store instanceof KyselyConnectionStore)) throw new CliUsageError('cli.ownStoreNeeded', { command: 'fleet' });
  const limiter = limiterFromEnv();
  const transport = createCrmTransport({
    accountUrlPolicy: { boxHosts: list(process.env.CRM_BOX_HOSTS), allowLocal: !isProduction() && process.env.RCMK_ALLOW_LOCAL === '1' },
    // The instances' budgets, so the CLI and the running module share the account's rate limit.
    ...(limiter.rateLimiter ? { rateLimiter: limiter.rateLimiter } : {}),
  });
  const kit = createConnectKit({ module, store, transport });
  return {
    kit,
    store,
    transport,
    async close() {
      await transport.close();
      limiter.close();
      await store.close();
    },
  };
}

function progressBar(label: string) {
  // Drawn on stderr only when it is a terminal; piped output gets the summary lines alone.
  return new cliProgress.SingleBar(
    { format: `${label} {bar} {percentage}% | {value}/{total} | ETA {eta_formatted} | failed {failed}`, stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
}

function fleetOptions(command: Command, say: HelpText): Command {
  return command
    .requiredOption('--module <file>', say('cli.help.fleet.option.module'))
    .option('--base-url <url>', say('cli.help.fleet.option.baseUrl'))
    .option('--database <url>', say('cli.help.shared.option.database'))
    .option('--data-dir <dir>', say('cli.help.shared.option.dataDir'), '.data');
}

async function reregister(flags: FleetFlags & { canary: number; batch: number; concurrency: number; force?: boolean; dryRun?: boolean; locale: string }, io: CliIo) {
  if (!LOCALES.includes(flags.locale as Locale)) throw new CliUsageError('cli.localeInvalid', { locales: LOCALES });
  const fleet = await openFleet(flags);
  try {
    const plan = await planReregistration(fleet.kit, new FleetStore(fleet.store.db), flags.force);
    io.out(`${plan.pending.length} connection(s) to re-register, ${plan.upToDate} already up to date.`);
    if (flags.dryRun || plan.pending.length === 0) return 0;
    const bar = progressBar('re-registering');
    bar.start(plan.pending.length, 0, { failed: 0 });
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    let report;
    try {
      report = await reregisterFleet({
        kit: fleet.kit,
        db: fleet.store.db,
        canary: flags.canary,
        batchSize: flags.batch,
        concurrency: flags.concurrency,
        locale: flags.locale as Locale,
        ...(flags.force ? { force: true } : {}),
        signal: stop.signal,
        onProgress: (p) => bar.update(p.done + p.failed, { failed: p.failed }),
      });
    } finally {
      bar.stop();
      process.off('SIGINT', onSignal);
    }
    io.out(`${report.status}${report.reason ? ` (${report.reason})` : ''}: ${report.done} re-registered, ${report.failed} failed of ${report.total}${report.resumed ? ' (resumed an interrupted run)' : ''}.`);
    for (const failure of report.failures) io.out(`failed  ${failure.connectionId}  ${failure.accountUrl}  ${failure.error}`);
    if (report.status !== 'done') io.out('Run the same command again to continue with what is left.');
    return report.status === 'done' && report.failed === 0 ? 0 : 1;
  } finally {
    await fleet.close();
  }
}

export const fleetCommand: CliCommand = {
  register(program, io) {
    const say = helpText(io.locale);
    const group = program.command('fleet').description(say('cli.help.fleet.description'));

    fleetOptions(group.command('reregister').description(say('cli.help.fleet.reregister.description')), say)
      .option('--canary <n>', say('cli.help.fleet.reregister.option.canary'), positive('canary'), 1)
      .option('--batch <n>', say('cli.help.fleet.reregister.option.batch'), positive('batch'), 100)
      .option('--concurrency <n>', say('cli.help.fleet.reregister.option.concurrency'), positive('concurrency'), 32)
      .option('--locale <locale>', say('cli.help.fleet.reregister.option.locale'), 'en')
      .option('--force', say('cli.help.fleet.reregister.option.force'))
      .option('--dry-run', say('cli.help.fleet.reregister.option.dryRun'))
      .action(async (flags) => {
        const code = await reregister(flags, io);
        if (code !== 0) process.exitCode = code;
      });

    fleetOptions(group.command('health').description(say('cli.help.fleet.health.description')), say)
      .option('--concurrency <n>', say('cli.help.fleet.health.option.concurrency'), positive('concurrency'), 16)
      .action(async (flags: FleetFlags & { concurrency: number }) => {
        const fleet = await openFleet(flags);
        try {
          const bar = progressBar('checking');
          let started = false;
          const report = await checkFleetHealth({
            kit: fleet.kit,
            db: fleet.store.db,
            notify: transportNotifier(fleet.transport),
            concurrency: flags.concurrency,
            onProgress: (done, total) => {
              if (!started) bar.start(total, 0, { failed: 0 });
              started = true;
              bar.update(done);
            },
          });
          bar.stop();
          io.out(`checked ${report.checked}: ${Object.entries(report.byHealth).map(([h, n]) => `${n} ${h}`).join(', ')}; notified ${report.notified.length}`);
        } finally {
          await fleet.close();
        }
      });
  },
};
