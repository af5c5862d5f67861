/**
 * `retailcrm-module-kit check`: runs the seed's step-4 checks for an account and a key, and prints what passes
 * and what fails, with the message a person would see. Exit 0 when everything passes, 1 otherwise.
 * @module
 */
import { checkApiVersion, checkRights } from '../../connect/checks.js';
import { failureFromError } from '../../connect/failure.js';
import { accountUrlFailure } from '../../connect/connect-account.js';
import { silentLogger } from '../../connect/kit.js';
import { createCrmClient } from '../../crm/client.js';
import { createCrmTransport, type CrmTransport } from '../../crm/transport.js';
import type { CrmClient } from '../../crm/types.js';
import { parseAccountUrl } from '../../crm/account-url.js';
import { REGISTRATION_CREDENTIALS, REGISTRATION_SCOPES } from '../../protocol/index.js';
import { CliFailure, CliUsageError, type CliCommand } from '../cli-command.js';
import { helpText } from '../cli-help.js';
import type { Locale } from '../../i18n/index.js';

interface CheckFlags {
  account: string;
  apiKey?: string;
  apiVersion: number;
  scopes: string[];
  credentials: string[];
  allowLocal: boolean;
}

const list = (value: string) => value.split(',').map((s) => s.trim()).filter(Boolean);

export const checkCommand: CliCommand = {
  register(program, io) {
    const say = helpText(io.locale);
    program
      .command('check')
      .description(say('cli.help.check.description'))
      .requiredOption('--account <url>', say('cli.help.check.option.account'))
      .option('--api-key <key>', say('cli.help.check.option.apiKey'))
      .option('--api-version <major>', say('cli.help.check.option.apiVersion'), (v) => {
        if (!/^\d+$/.test(v)) throw new CliUsageError('cli.notWholeNumber', { flag: '--api-version', value: v });
        return Number(v);
      }, 5)
      .option('--scopes <list>', say('cli.help.check.option.scopes'), list, [])
      .option('--credentials <list>', say('cli.help.check.option.credentials'), list, [])
      .option('--allow-local', say('cli.help.check.option.allowLocal'), false)
      .action(async (flags: CheckFlags) => {
        const apiKey = flags.apiKey ?? process.env.RETAILCRM_API_KEY;
        if (!apiKey) throw new CliUsageError('cli.apiKeyMissing');
        const transport = createCrmTransport({ accountUrlPolicy: { allowLocal: flags.allowLocal } });
        let failed = false;
        const report = (ok: boolean, what: string, detail: string) => {
          failed ||= !ok;
          io.out(`${ok ? 'ok  ' : 'FAIL'}  ${what.padEnd(16)} ${detail}`);
        };
        try {
          await runChecks(flags, apiKey, transport, report, io.locale ?? 'en');
        } finally {
          await transport.close();
        }
        // After the report, so the exit code says "failed" (1) while the lines above say what.
        if (failed) throw new CliFailure('cli.checkFailed');
      });
  },
};

type Report = (ok: boolean, what: string, detail: string) => void;

/**
 * The checks in the order of the seed's step 4; stops at the first failure, as the connect flow does. A failure's
 * detail is the message a person would see, in the run's language (the labels stay English).
 */
async function runChecks(flags: CheckFlags, apiKey: string, transport: CrmTransport, report: Report, locale: Locale): Promise<void> {
  const account = parseAccountUrl(flags.account, transport.policy);
  if (!account.ok) return report(false, 'account address', accountUrlFailure(account, locale).message);
  report(true, 'account address', account.url);
  const required = {
    scopes: [...new Set([...REGISTRATION_SCOPES, ...flags.scopes])],
    credentials: [...new Set([...REGISTRATION_CREDENTIALS, ...flags.credentials])],
  };
  const steps: [string, (crm: CrmClient) => Promise<string>][] = [
    ['API access', async (crm) => `version ${await checkApiVersion(crm, flags.apiVersion)} (needs ${flags.apiVersion})`],
    ['rights', async (crm) => {
      const granted = await checkRights(crm, required);
      return granted.scopes.length > 0 ? `all of ${required.scopes.join(', ')}` : `legacy credentials: ${required.credentials.join(', ')}`;
    }],
  ];
  try {
    const crm = createCrmClient({ accountUrl: account.url, apiKey, transport });
    for (const [what, step] of steps) {
      try {
        report(true, what, await step(crm));
      } catch (error) {
        return report(false, what, failureFromError(error, locale, silentLogger, [apiKey]).message);
      }
    }
  } catch (error) {
    report(false, 'API key', failureFromError(error, locale, silentLogger, [apiKey]).message);
  }
}
