import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { Argument, Command, CommanderError, Option } from 'commander';
import { AccountUrlInvalidError } from '../crm/errors.js';
import { ConfigError, ErrorCode, StoreUnavailableError } from '../errors.js';
import { CliFailure, CliUsageError } from './cli-command.js';
import { describeFailure, EXIT_FAILURE, EXIT_USAGE, redactSecrets } from './cli-failure.js';
import { commanderMessage, KNOWN_COMMANDER_CODES } from './commander-messages.js';

/** The CommanderError a real commander program ends with for `args`. */
function commanderError(build: (program: Command) => void, args: string[], env: Record<string, string> = {}): CommanderError {
  const program = new Command('tool').exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {}, outputError: () => {} });
  build(program);
  const saved = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
  Object.assign(process.env, env);
  try {
    program.parse(args, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error;
    throw error;
  } finally {
    for (const [name, value] of Object.entries(saved)) value === undefined ? delete process.env[name] : (process.env[name] = value);
  }
  throw new Error(`commander accepted ${args.join(' ')}`);
}

describe('cli: how a failure is worded', () => {
  it('an unknown error: a localized frame with its first line and what to do, exit 1', () => {
    const failure = describeFailure(new Error('connect ECONNREFUSED 127.0.0.1:5432\n    at somewhere'), 'ru');
    assert.equal(failure.exitCode, EXIT_FAILURE);
    assert.equal(failure.lines.length, 1);
    assert.match(failure.lines[0]!, /^ошибка: непредвиденный сбой: connect ECONNREFUSED 127\.0\.0\.1:5432\. Проверьте команду/);
    assert.match(failure.lines[0]!, /RETAILCRM_MODULE_KIT_DEBUG=1/);
    assert.match(describeFailure('a thrown string', 'es').lines[0]!, /^error: fallo inesperado: a thrown string\. Revise el comando/);
    assert.match(describeFailure(new Error('Something broke.'), 'en').lines[0]!, /^error: unexpected failure: Something broke\. Check the command/);
  });

  it('cuts passwords in URLs and secret-looking values out of raw text, also in the debug output', () => {
    assert.equal(redactSecrets('no route to postgres://app:hunter2@db:5432/x'), 'no route to postgres://app:***@db:5432/x');
    assert.equal(redactSecrets('GET /api?apiKey=abc123&limit=5'), 'GET /api?apiKey=***&limit=5');
    const error = new Error('cannot open postgres://app:hunter2@db/x', { cause: new Error('token=t0ps3cret refused') });
    const failure = describeFailure(error, 'en', { debug: true });
    const text = failure.lines.join('\n');
    assert.ok(!text.includes('hunter2') && !text.includes('t0ps3cret'), text);
    assert.match(text, /^Error: cannot open postgres:\/\/app:\*\*\*@db\/x\n\s+at /m, 'the stack follows under debug');
    assert.match(text, /^caused by: Error: token=\*\*\* refused/m);
  });

  it('a kit error: its code\'s message in the locale and the code; a ConfigError keeps its problems', () => {
    const store = describeFailure(new StoreUnavailableError('The connection store did not answer'), 'es');
    assert.deepEqual(store.lines, ['error: El módulo no puede acceder a su base de datos ahora mismo. Inténtelo de nuevo en unos minutos. [RCMK_STORE_UNAVAILABLE]']);
    const config = describeFailure(new ConfigError(['the module file x.ts does not exist', 'defineModule: code is empty']), 'ru');
    assert.deepEqual(config.lines, ['ошибка: конфигурация неверна: the module file x.ts does not exist; defineModule: code is empty [RCMK_CONFIG_INVALID]']);
    const url = describeFailure(new AccountUrlInvalidError('scheme'), 'ru');
    assert.deepEqual(url.lines, ['ошибка: Адрес аккаунта указан неверно (адрес должен начинаться с https://). Введите его в виде https://ваш-аккаунт.retailcrm.ru [RCMK_ACCOUNT_URL_INVALID]']);
  });

  it('the CLI\'s own errors: usage exit 2, failures exit 1 with the kit code they name; message stays English', () => {
    const usage = new CliUsageError('cli.notPositive', { flag: '--limit', value: '0' });
    assert.equal(usage.message, '--limit must be a positive whole number, got "0"');
    assert.deepEqual(describeFailure(usage, 'es'), { exitCode: EXIT_USAGE, lines: ['error: --limit debe ser un número entero positivo, se recibió "0"'] });
    const failure = new CliFailure('cli.baseUrlMissing', {}, ErrorCode.ConfigInvalid);
    assert.deepEqual(describeFailure(failure, 'ru'), {
      exitCode: EXIT_FAILURE,
      lines: ['ошибка: MODULE_BASE_URL не задан: это публичный адрес https://, по которому CRM обращается к модулю [RCMK_CONFIG_INVALID]'],
    });
    assert.deepEqual(describeFailure(new CliFailure('cli.connectionNotFound', { id: 'x1' }), 'en').lines, ['error: no connection with id "x1" (see "connections list")']);
  });

  it('reads the names out of commander\'s real lines, for the errors this CLI does not reach', () => {
    const conflicting = commanderError((p) => p.addOption(new Option('--json').conflicts('text')).option('--text'), ['--json', '--text']);
    assert.equal(commanderMessage(conflicting, 'es'), "'--json' no se puede usar junto con '--text'");
    const fromEnv = commanderError((p) => p.addOption(new Option('--mode <m>').choices(['a', 'b']).env('TOOL_MODE')), [], { TOOL_MODE: 'c' });
    assert.equal(commanderMessage(fromEnv, 'en'), "option '--mode <m>' value 'c' from the environment variable TOOL_MODE is invalid (allowed choices are a, b)");
    const argument = commanderError((p) => p.addArgument(new Argument('<color>').choices(['red', 'blue'])).action(() => {}), ['green']);
    assert.equal(commanderMessage(argument, 'ru'), "недопустимое значение 'green' аргумента 'color' (допустимые значения: red, blue)");
    const several = commanderError((p) => p.option('--port <n>').option('--sort <s>'), ['--xort']);
    assert.equal(commanderMessage(several, 'en'), "unknown option '--xort' (did you mean one of --port, --sort?)");
    const unknown = new CommanderError(1, 'commander.error', 'error: something new\n(more)');
    assert.equal(commanderMessage(unknown, 'ru'), 'командная строка неверна: something new');
    assert.equal(commanderMessage(new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'), 'ru'), undefined);
  });

  it('knows every error code commander raises in the installed version', () => {
    const require = createRequire(import.meta.url);
    const source = readFileSync(join(dirname(require.resolve('commander')), 'lib', 'command.js'), 'utf8');
    const raised = new Set([...source.matchAll(/'(commander\.\w+)'/g)].map((m) => m[1]!));
    // executeSubCommandAsync: stand-alone executable subcommands, which this CLI has none of; commander.error: the
    // default of program.error(), which it never calls. Both would still get the framed fallback line.
    for (const code of ['commander.executeSubCommandAsync', 'commander.error']) raised.delete(code);
    assert.deepEqual([...raised].filter((code) => !KNOWN_COMMANDER_CODES.has(code)).sort(), []);
  });
});
