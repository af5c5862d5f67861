/**
 * `--help` in the run's language. Each command words its own descriptions through `helpText` (keys
 * `cli.help.<command>[.<subcommand>].description|option.<name>|argument.<name>`, `<name>` being commander's
 * attribute name, e.g. `apiKey` for `--api-key`; `cli.help.shared.option.<name>` for an option several commands
 * word alike), and `localizeHelp` words commander's own parts (`cli.help.commander.*`) through the hooks commander
 * offers for that: helpOption, helpCommand, version and configureHelp. Only the usage line's `[options]` and
 * `[command]` stay as commander writes them: they are syntax, like the flags.
 * @module
 */
import { Help, type Argument, type Command, type Option } from 'commander';
import type { ErrorParams } from '../errors.js';
import { type Locale, type MessageKey, translate } from '../i18n/index.js';

/** The keys of the help texts (`cli.help.*` in src/i18n). */
export type HelpKey = Extract<MessageKey, `cli.help.${string}`>;
export type HelpText = (key: HelpKey, params?: ErrorParams) => string;

/** The help texts in `locale` (none given: English, as for the tests' own io). */
export function helpText(locale: Locale | undefined): HelpText {
  return (key, params) => translate(locale ?? 'en', key, params);
}

/** The headings commander passes to styleTitle, and ours. */
const TITLES: Readonly<Record<string, HelpKey>> = {
  'Usage:': 'cli.help.commander.usage',
  'Arguments:': 'cli.help.commander.arguments',
  'Options:': 'cli.help.commander.options',
  'Commands:': 'cli.help.commander.commands',
};

/** The labels commander puts in the parenthesis after a description: `(choices: …, default: …)`. */
const EXTRAS: Readonly<Record<string, HelpKey>> = {
  choices: 'cli.help.commander.choices',
  default: 'cli.help.commander.default',
  preset: 'cli.help.commander.preset',
  env: 'cli.help.commander.env',
};

/**
 * Commander's description with its `(choices: …, default: …)` labels in our words. Which extras are shown, and
 * their values, stay commander's: only the labels after the description are replaced.
 */
function withLocalExtras(stock: string, description: string | undefined, say: HelpText): string {
  const own = description ?? '';
  if (!stock.startsWith(own)) return stock;
  const extras = stock.slice(own.length).replace(/(^ ?\(|, )(choices|default|preset|env): /g, (_whole, lead: string, label: string) =>
    `${lead}${say(EXTRAS[label]!)}: `,
  );
  return own + extras;
}

/**
 * Words commander's help chrome in `locale`. Call it before adding commands: subcommands inherit the help option,
 * the help command and the help configuration when they are created.
 */
export function localizeHelp(program: Command, locale: Locale, version: string): Command {
  const say = helpText(locale);
  const stock = new Help();
  return program
    .version(version, '-V, --version', say('cli.help.commander.versionOption'))
    .helpOption('-h, --help', say('cli.help.commander.help'))
    .helpCommand('help [command]', say('cli.help.commander.help'))
    .configureHelp({
      styleTitle: (title: string) => (Object.hasOwn(TITLES, title) ? say(TITLES[title]!) : title),
      optionDescription: (option: Option) => withLocalExtras(stock.optionDescription(option), option.description, say),
      argumentDescription: (argument: Argument) => withLocalExtras(stock.argumentDescription(argument), argument.description, say),
    });
}
