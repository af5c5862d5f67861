#!/usr/bin/env node
/**
 * `retailcrm-module-kit` entry point. Commands live in `commands/` and are listed in `commands/index.ts`.
 * @module
 */
try {
  await import('../zod-version.js');
} catch (error) {
  // Before anything that needs zod: cli-locale and i18n import none of it.
  const { pickCliLocale } = await import('./cli-locale.js');
  const { translate } = await import('../i18n/index.js');
  const choice = pickCliLocale(process.argv);
  const locale = 'locale' in choice ? choice.locale : 'en';
  const { name, code, message } = error as Error & { code?: string };
  const text =
    name === 'ZodVersionError'
      ? translate(locale, 'cli.zodTooOld')
      : code === 'ERR_MODULE_NOT_FOUND' && /'zod'/.test(message)
        ? translate(locale, 'cli.zodMissing')
        : translate(locale, 'cli.unexpected', { detail: message.split('\n')[0] ?? name });
  process.stderr.write(`${translate(locale, 'cli.error', { message: text })}\n`);
  process.exit(1);
}
const { runCli } = await import('./run-cli.js');
process.exitCode = await runCli(process.argv);
