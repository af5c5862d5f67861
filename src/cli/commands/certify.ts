/**
 * `retailcrm-module-kit certify`: plays the CRM against a running module at a URL (any language) and prints what
 * passes and what fails, each failure with a named reason; writes JUnit XML for CI. Exit 0 when every check
 * passes, 1 otherwise, 2 for wrong usage.
 * @module
 */
import { writeFileSync } from 'node:fs';
import { certifyModule, formatReport, junitXml } from '../../certify/index.js';
import { CliFailure, CliUsageError, type CliCommand } from '../cli-command.js';

interface CertifyFlags {
  connectUrl?: string;
  configUrl?: string;
  secret?: string;
  field?: Record<string, string>;
  budgetMs: number;
  junit?: string;
}

const absolute = (flag: string) => (value: string) => {
  if (!/^https?:\/\/[^/]/.test(value)) throw new CliUsageError('cli.urlInvalid', { flag, value });
  return value;
};

export const certifyCommand: CliCommand = {
  register(program, io) {
    program
      .command('certify')
      .description('Play the CRM against a running module: connect by the old method and/or the simple connection, send its callbacks, re-install; report, JUnit XML, exit 1 on a failure')
      .option('--connect-url <url>', "the module's connect page (its accountUrl in the partner cabinet): checks the old method", absolute('--connect-url'))
      .option('--config-url <url>', "the simple connection's configuration URL: checks the simple connection (needs the secret)", absolute('--config-url'))
      .option('--secret <secret>', "the partner cabinet's secret for the simple connection (default, and safer than a flag other users can see: the RETAILCRM_SIMPLE_SECRET environment variable)")
      .option('--field <name=value>', "a value for one of the module's own fields on its connect form; repeat for several", (value: string, all: Record<string, string> | undefined) => {
        const eq = value.indexOf('=');
        if (eq <= 0) throw new CliUsageError('cli.fieldInvalid', { value });
        return { ...all, [value.slice(0, eq)]: value.slice(eq + 1) };
      })
      .option('--budget-ms <ms>', 'the longest a callback may take to answer', (v: string) => {
        if (!/^\d+$/.test(v) || Number(v) === 0) throw new CliUsageError('cli.notPositive', { flag: '--budget-ms', value: v });
        return Number(v);
      }, 2000)
      .option('--junit <file>', 'also write the report as JUnit XML to this file')
      .action(async (flags: CertifyFlags) => {
        const secret = flags.secret ?? process.env.RETAILCRM_SIMPLE_SECRET;
        if (!flags.connectUrl && !flags.configUrl) throw new CliUsageError('cli.certifyTarget');
        if (flags.configUrl && !secret) throw new CliUsageError('cli.certifySecret');
        const report = await certifyModule({
          ...(flags.connectUrl ? { connectUrl: flags.connectUrl } : {}),
          ...(flags.configUrl && secret ? { simple: { configUrl: flags.configUrl, secret } } : {}),
          fields: flags.field ?? {},
          budgetMs: flags.budgetMs,
        });
        for (const line of formatReport(report)) io.out(line);
        if (flags.junit) writeFileSync(flags.junit, junitXml(report));
        // After the report, so the exit code says "failed" (1) while the lines above say what.
        if (!report.ok) throw new CliFailure('cli.certifyFailed');
      });
  },
};
