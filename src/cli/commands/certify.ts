/**
 * `retailcrm-module-kit certify`: plays the CRM against a running module at a URL (any language) and prints what
 * passes and what fails, each failure with a named reason; writes JUnit XML for CI. Exit 0 when every check
 * passes, 1 otherwise, 2 for wrong usage.
 * @module
 */
import { writeFileSync } from 'node:fs';
import { certifyModule, formatReport, junitXml } from '../../certify/index.js';
import { CliFailure, CliUsageError, type CliCommand } from '../cli-command.js';
import { helpText } from '../cli-help.js';

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
    const say = helpText(io.locale);
    program
      .command('certify')
      .description(say('cli.help.certify.description'))
      .option('--connect-url <url>', say('cli.help.certify.option.connectUrl'), absolute('--connect-url'))
      .option('--config-url <url>', say('cli.help.certify.option.configUrl'), absolute('--config-url'))
      .option('--secret <secret>', say('cli.help.certify.option.secret'))
      .option('--field <name=value>', say('cli.help.certify.option.field'), (value: string, all: Record<string, string> | undefined) => {
        const eq = value.indexOf('=');
        if (eq <= 0) throw new CliUsageError('cli.fieldInvalid', { value });
        return { ...all, [value.slice(0, eq)]: value.slice(eq + 1) };
      })
      .option('--budget-ms <ms>', say('cli.help.certify.option.budgetMs'), (v: string) => {
        if (!/^\d+$/.test(v) || Number(v) === 0) throw new CliUsageError('cli.notPositive', { flag: '--budget-ms', value: v });
        return Number(v);
      }, 2000)
      .option('--junit <file>', say('cli.help.certify.option.junit'))
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
