import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Help, type Command } from 'commander';
import type { Locale } from '../i18n/index.js';
import { buildProgram, runCli } from './run-cli.js';

/** The real CLI with an empty environment, so only the arguments pick the language. */
async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['node', 'cli', ...args], { out: (l) => out.push(...l.split('\n')), err: (l) => err.push(...l.split('\n')) }, env);
  return { code, out, err, text: out.join('\n'), flat: out.join(' ').replace(/\s+/g, ' ') };
}

/** commander's own English help wording, none of which may show in ru or es. */
const COMMANDER_ENGLISH = ['Usage:', 'Options:', 'Commands:', 'Arguments:', 'display help for command', 'output the version number', '(default:', 'default: "', 'choices:'];

const EXPECTED: Record<'ru' | 'es', { root: string[]; rootFlat: string[]; emulator: string[]; show: string[] }> = {
  ru: {
    root: [
      'Использование: retailcrm-module-kit [options] [command]',
      'Параметры:',
      '  -V, --version         показать номер версии',
      '  -h, --help            показать справку по команде',
      'Команды:',
      '  help [command]        показать справку по команде',
    ],
    rootFlat: [
      'Создание модулей для Маркетплейса RetailCRM / Simla.com и локальный запуск CRM в виде эмулятора.',
      '--lang <locale> язык сообщений: en, ru, es (по умолчанию: RETAILCRM_MODULE_KIT_LANG, иначе LC_ALL, LC_MESSAGES, LANG)',
      'connections Просмотреть сохранённые подключения (секреты никогда не выводятся)',
    ],
    emulator: [
      'Запустить локальный эмулятор CRM (аккаунты по адресам http://{name}.localhost:{port}) до нажатия Ctrl-C',
      '--port <port> порт для прослушивания (0 — любой свободный порт) (по умолчанию: 7700)',
      '--rate-limit-by <source> считать ограничение частоты по IP-адресу источника или по API-ключу (допустимые значения: "ip", "key", по умолчанию: "ip")',
    ],
    show: ['Аргументы:', 'id id подключения (из "connections list")', '--data-dir <dir> папка с базой данных и набором ключей для разработки (по умолчанию: ".data")'],
  },
  es: {
    root: [
      'Uso: retailcrm-module-kit [options] [command]',
      'Opciones:',
      '  -V, --version         mostrar el número de versión',
      '  -h, --help            mostrar la ayuda del comando',
      'Comandos:',
      '  help [command]        mostrar la ayuda del comando',
    ],
    rootFlat: [
      'Crear módulos para el Marketplace de RetailCRM / Simla.com y ejecutar el CRM en local como emulador.',
      '--lang <locale> idioma de los mensajes: en, ru, es (predeterminado: RETAILCRM_MODULE_KIT_LANG, si no LC_ALL, LC_MESSAGES, LANG)',
      'connections Consultar las conexiones guardadas (los secretos nunca se muestran)',
    ],
    emulator: [
      'Ejecutar el emulador local del CRM (cuentas en http://{name}.localhost:{port}) hasta Ctrl-C',
      '--port <port> puerto en el que escuchar (0 = cualquier puerto libre) (predeterminado: 7700)',
      '--rate-limit-by <source> contar el límite de solicitudes por IP de origen o por clave API (valores admitidos: "ip", "key", predeterminado: "ip")',
    ],
    show: ['Argumentos:', 'id id de la conexión (de "connections list")', '--data-dir <dir> dónde se guardan la base de datos y el llavero de desarrollo (predeterminado: ".data")'],
  },
};

function assertLocalized(help: Awaited<ReturnType<typeof cli>>, lines: string[], phrases: string[], label: string) {
  assert.equal(help.code, 0, label);
  assert.deepEqual(help.err, [], label);
  for (const line of lines) assert.ok(help.out.includes(line), `${label}: no line ${JSON.stringify(line)} in\n${help.text}`);
  for (const phrase of phrases) assert.ok(help.flat.includes(phrase), `${label}: no ${JSON.stringify(phrase)} in\n${help.text}`);
  for (const english of COMMANDER_ENGLISH) assert.ok(!help.text.includes(english), `${label}: English ${JSON.stringify(english)} left in\n${help.text}`);
}

/** Every command of the program, the program first. */
function allCommands(command: Command): Command[] {
  return [command, ...command.commands.flatMap(allCommands)];
}

/** `jobs revive`, as typed after the program's name. */
function pathOf(command: Command): string {
  return command.parent?.parent ? `${pathOf(command.parent)} ${command.name()}` : command.name();
}

/** Each help text of a program, by where it sits: command descriptions, options, arguments, help commands. */
function helpTexts(program: Command): Map<string, string> {
  const help = new Help();
  const texts = new Map<string, string>();
  for (const command of allCommands(program)) {
    const path = command === program ? '(program)' : pathOf(command);
    texts.set(`${path}: description`, command.description());
    for (const option of help.visibleOptions(command)) texts.set(`${path} ${option.flags}`, option.description);
    for (const argument of command.registeredArguments) texts.set(`${path} <${argument.name()}>`, argument.description);
    for (const sub of help.visibleCommands(command)) texts.set(`${path} > ${sub.name()}`, sub.description());
  }
  return texts;
}

describe('cli: --help in en, ru and es', () => {
  it('en: the root help reads as it always has', async () => {
    const help = await cli(['--help']);
    assert.equal(help.code, 0);
    assert.deepEqual(help.err, []);
    assert.deepEqual(help.out.slice(0, 2), ['Usage: retailcrm-module-kit [options] [command]', '']);
    for (const line of [
      'Options:',
      '  -V, --version         output the version number',
      '  -h, --help            display help for command',
      'Commands:',
      '  connections           Inspect stored connections (secrets are never printed)',
      '  help [command]        display help for command',
    ])
      assert.ok(help.out.includes(line), `no line ${JSON.stringify(line)} in\n${help.text}`);
    assert.ok(help.flat.includes('Build RetailCRM / Simla.com marketplace modules, and run the CRM locally as an emulator.'));
    assert.ok(help.flat.includes('--lang <locale> language of messages: en, ru, es (default: RETAILCRM_MODULE_KIT_LANG, else LC_ALL, LC_MESSAGES, LANG)'));
    // --lang en is English too, word for word.
    assert.deepEqual((await cli(['--lang', 'en', '--help'])).out, help.out);
    const emulator = await cli(['emulator', '--help']);
    assert.ok(emulator.flat.includes('count the rate limit per source IP or per API key (choices: "ip", "key", default: "ip")'), emulator.text);
  });

  for (const locale of ['ru', 'es'] as const) {
    const expected = EXPECTED[locale];
    it(`${locale}: the root help, the emulator's and connections show's are translated, commander's wording too`, async () => {
      assertLocalized(await cli(['--lang', locale, '--help']), expected.root, expected.rootFlat, `${locale} --help`);
      // The same words, padded to the widest option of each command.
      const flat = (line: string) => line.trim().replace(/\s+/g, ' ');
      assertLocalized(await cli(['--lang', locale, 'emulator', '--help']), [expected.root[1]!], [...expected.emulator, flat(expected.root[3]!)], `${locale} emulator --help`);
      // --lang after the subcommand, and `help <command>`, work alike.
      assertLocalized(await cli(['connections', 'show', '--help', `--lang=${locale}`]), [], expected.show, `${locale} connections show --help`);
      assertLocalized(await cli(['--lang', locale, 'help', 'connections']), [expected.root[4]!], [flat(expected.root[5]!)], `${locale} help connections`);
    });
  }

  it('follows the language of the environment too', async () => {
    const help = await cli(['init', '--help'], { LANG: 'ru_RU.UTF-8' });
    assertLocalized(help, ['Аргументы:'], ['dir папка, в которой создать проект (несуществующая или пустая) (по умолчанию: ".")'], 'LANG=ru init --help');
  });

  it('every command, option and argument has its own text in ru and es, and no help in them keeps commander\'s English', () => {
    const english = helpTexts(buildProgram({ out: () => {}, err: () => {}, locale: 'en' }));
    assert.ok(english.size >= 80, `${english.size} help texts`);
    for (const locale of ['ru', 'es'] satisfies Locale[]) {
      const program = buildProgram({ out: () => {}, err: () => {}, locale });
      const texts = helpTexts(program);
      assert.deepEqual([...texts.keys()], [...english.keys()], `${locale}: the same commands, options and arguments`);
      for (const [where, text] of texts) {
        assert.ok(text.trim(), `${locale} ${where}: no text`);
        assert.notEqual(text, english.get(where), `${locale} ${where}: the English text`);
      }
      for (const command of allCommands(program)) {
        const help = command.helpInformation();
        for (const word of COMMANDER_ENGLISH) assert.ok(!help.includes(word), `${locale} ${pathOf(command)}: ${JSON.stringify(word)} in\n${help}`);
      }
    }
  });
});
