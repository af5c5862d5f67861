import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LOCALES, messages, type Locale, type MessageKey } from '../i18n/index.js';
import { runCli } from './run-cli.js';

const cliKeys = Object.keys(messages.en).filter((key) => key.startsWith('cli.')) as MessageKey[];

async function cli(locale: Locale, ...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['node', 'cli', ...args], { out: (l) => out.push(l), err: (l) => err.push(l) }, { RETAILCRM_MODULE_KIT_LANG: locale });
  return { code, out, err };
}

/** What a person sees per locale: one line, then the hint for commander's errors. Written out, not derived. */
const EXPECTED: Record<Locale, Record<'usage' | 'kit' | 'unknownOption' | 'missingArgument' | 'hint', string>> = {
  en: {
    usage: 'error: --port must be a number from 0 to 65535, got "abc"',
    kit: 'error: The module has no encryption keys configured. Set MODULE_SECRET_KEYS and restart it. [RCMK_KEYRING_MISSING]',
    unknownOption: "error: unknown option '--prot' (did you mean --port?)",
    missingArgument: "error: missing required argument 'id'",
    hint: '(run with --help for usage)',
  },
  ru: {
    usage: 'ошибка: значение --port должно быть числом от 0 до 65535, получено "abc"',
    kit: 'ошибка: У модуля не настроены ключи шифрования. Задайте MODULE_SECRET_KEYS и перезапустите его. [RCMK_KEYRING_MISSING]',
    unknownOption: "ошибка: неизвестный параметр '--prot' (возможно, имелось в виду --port?)",
    missingArgument: "ошибка: не указан обязательный аргумент 'id'",
    hint: '(справка: запустите с --help)',
  },
  es: {
    usage: 'error: --port debe ser un número de 0 a 65535, se recibió "abc"',
    kit: 'error: El módulo no tiene claves de cifrado configuradas. Defina MODULE_SECRET_KEYS y reinícielo. [RCMK_KEYRING_MISSING]',
    unknownOption: "error: opción desconocida '--prot' (¿quiso decir --port?)",
    missingArgument: "error: falta el argumento obligatorio 'id'",
    hint: '(ejecútelo con --help para ver cómo se usa)',
  },
};

/** `start` reads the process environment itself (and sets NODE_ENV), so it is put back afterwards. */
async function withStartEnv<T>(work: () => Promise<T>): Promise<T> {
  const names = ['MODULE_BASE_URL', 'MODULE_SECRET_KEYS', 'NODE_ENV'] as const;
  const saved = names.map((name) => process.env[name]);
  process.env.MODULE_BASE_URL = 'https://module.example';
  delete process.env.MODULE_SECRET_KEYS;
  try {
    return await work();
  } finally {
    names.forEach((name, i) => (saved[i] === undefined ? delete process.env[name] : (process.env[name] = saved[i])));
  }
}

describe('cli: messages in en, ru and es', () => {
  for (const locale of LOCALES) {
    it(`${locale}: a usage error, a kit error, an unknown option and a missing argument`, async () => {
      const usage = await cli(locale, 'emulator', '--port', 'abc');
      assert.equal(usage.code, 2);
      assert.deepEqual(usage.err, [EXPECTED[locale].usage]);

      const kit = await withStartEnv(() => cli(locale, 'start', '--module', 'never-loaded.js'));
      assert.equal(kit.code, 1);
      assert.deepEqual(kit.err, [EXPECTED[locale].kit]);

      // commander's own English line is not written first: exactly our line and the hint.
      const option = await cli(locale, 'emulator', '--prot', '1');
      assert.equal(option.code, 2);
      assert.deepEqual(option.err, [EXPECTED[locale].unknownOption, EXPECTED[locale].hint]);

      const argument = await cli(locale, 'connections', 'show');
      assert.equal(argument.code, 2);
      assert.deepEqual(argument.err, [EXPECTED[locale].missingArgument, EXPECTED[locale].hint]);
    });
  }

  it('words the rest of commander\'s errors, naming the option, argument or command', async () => {
    const cases: [string[], string][] = [
      [['nope'], "error: unknown command 'nope'"],
      [['emulator', '--port'], "error: option '--port <port>' argument missing"],
      [['check'], "error: required option '--account <url>' not specified"],
      [['connections', 'show', 'a', 'b'], "error: too many arguments for 'show': expected 1, got 2"],
      [['emulator', '--rate-limit-by', 'user'], "error: option '--rate-limit-by <source>' argument 'user' is invalid (allowed choices are ip, key)"],
    ];
    for (const [args, line] of cases) {
      const { code, err } = await cli('en', ...args);
      assert.equal(code, 2, args.join(' '));
      assert.deepEqual(err, [line, EXPECTED.en.hint], args.join(' '));
    }
    const ru = await cli('ru', 'emulator', '--rate-limit-by', 'user');
    assert.equal(ru.err[0], "ошибка: недопустимое значение 'user' параметра '--rate-limit-by <source>' (допустимые значения: ip, key)");
    const es = await cli('es', 'check');
    assert.equal(es.err[0], "error: no se indicó la opción obligatoria '--account <url>'");
  });

  it('never echoes a value typed after an unknown --flag=', async () => {
    const { err } = await cli('en', 'check', '--account', 'https://demo.retailcrm.ru', '--api-kye=SecretKeySecretKey123');
    assert.equal(err[0], "error: unknown option '--api-kye'");
    assert.ok(!err.join('\n').includes('SecretKey'));
  });

  // The wording of --help in each language: cli-help.test.ts.
  it('--help and --version exit 0 with no error line', async () => {
    const help = await cli('ru', '--help');
    assert.equal(help.code, 0);
    assert.match(help.out.join('\n'), /^Использование: retailcrm-module-kit \[options\] \[command\]/);
    assert.deepEqual(help.err, []);
    const version = await cli('es', '--version');
    assert.equal(version.code, 0);
    assert.match(version.out[0] ?? '', /^\d+\.\d+\.\d+/);
    // A group without its subcommand: commander prints the help on stderr, and no error line is added.
    const group = await cli('ru', 'connections');
    assert.equal(group.code, 2);
    assert.match(group.err[0] ?? '', /^Использование: retailcrm-module-kit connections/);
    assert.ok(!group.err.some((l) => l.startsWith('ошибка')));
  });

  it('every cli key has a text in every locale, with the same placeholders', () => {
    assert.ok(cliKeys.length >= 40, `${cliKeys.length} cli keys`);
    const placeholders = (text: string) => (text.match(/\{\w+\}/g) ?? []).sort();
    for (const locale of LOCALES)
      for (const key of cliKeys) {
        assert.ok(messages[locale][key]?.trim(), `${locale}.${key} is missing or empty`);
        assert.deepEqual(placeholders(messages[locale][key]), placeholders(messages.en[key]), `${locale}.${key}`);
      }
  });

  it('every cli key is used by the CLI, and every key the CLI names exists', () => {
    const sources = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [join(dir, entry.name)] : [],
      );
    const dir = new URL('.', import.meta.url).pathname;
    const named = new Set(sources(dir).flatMap((file) => [...readFileSync(file, 'utf8').matchAll(/'(cli\.[\w.]+)'/g)].map((m) => m[1]!)));
    assert.deepEqual([...named].filter((key) => !(key in messages.en)), [], 'named but not defined');
    assert.deepEqual(cliKeys.filter((key) => !named.has(key)), [], 'defined but never used');
  });

  it('ru and es carry no leftover English: every text differs from en, and no English word is left outside literals', () => {
    // Spanish writes "error:" too; the message after it is checked through every other key.
    const sameOnPurpose = new Set(['es:cli.error']);
    // Literal parts, the same in every language: placeholders, quoted values and commands, flags, env names (and
    // values set to them), URLs.
    const literal =
      /\{\w+\}|"[^"]*"|'[^']*'|--[\w-]+|\b[A-Z][A-Z0-9_]{2,}\b(=\w+)?|https?:\/\/\S*|http\(s\)|retailcrm-module-kit|\bzod(@\^)?\s?4?\b|\bnpm\b|\bid\b|\bAPI\b|\bCRM\b|A-Z a-z 0-9 _ -/g;
    // And in --help: product names, file names, and code named as written (identifiers, API fields, status values).
    const codeInHelp =
      /RetailCRM|Simla\.com|\S*\.(?:js|mjs|ts|json|sqlite)\b|<[\w-]+>|postgres:\/\/…|createModule\(baseUrl\)|\b(?:tsconfig|Dockerfile|tsx|SQLite|PostgreSQL|JUnit|Ctrl-C|accountUrl|clientId|integration_read\/_write|scopes|credentials|removed|key_revoked|degraded)\b/g;
    const englishWords = /\b(the|and|must|give|got|run|not|with|is|are|of|needs?|option|argument|unknown|missing|should|see|choose|failure|store|module|job|connection|key|value|allowed|folder|empty|whole|number|again)\b/i;
    for (const locale of ['ru', 'es'] as const)
      for (const key of cliKeys) {
        const text = messages[locale][key];
        if (!sameOnPurpose.has(`${locale}:${key}`)) assert.notEqual(text, messages.en[key], `${locale}.${key} is the English text`);
        const words = text.replace(literal, ' ').replace(codeInHelp, ' ');
        assert.doesNotMatch(words, englishWords, `${locale}.${key}: English left in "${words}"`);
        if (locale === 'ru') assert.doesNotMatch(words, /[A-Za-z]{3,}/, `ru.${key}: Latin words left in "${words}"`);
      }
  });
});
