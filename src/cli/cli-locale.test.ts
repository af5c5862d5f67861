import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { langFlag, localeFromTag, pickCliLocale, posixLocale } from './cli-locale.js';
import { runCli } from './run-cli.js';

const argv = (...args: string[]) => ['node', 'cli', ...args];

describe('cli: the language of messages', () => {
  it('reads --lang and --lang= anywhere before "--", the last one winning', () => {
    assert.equal(langFlag(argv('emulator', '--lang', 'ru')), 'ru');
    assert.equal(langFlag(argv('--lang=es', 'check')), 'es');
    assert.equal(langFlag(argv('--lang', 'ru', 'check', '--lang=es')), 'es');
    assert.equal(langFlag(argv('init', '--', '--lang', 'ru')), null, 'after -- it is an operand');
    assert.equal(langFlag(argv('check', '--lang')), '', 'given without a value');
    assert.equal(langFlag(argv('check', '--language', 'ru')), null, 'another flag');
    assert.equal(langFlag(['--lang', 'ru']), null, 'argv[0] and argv[1] are node and the script');
  });

  it('maps POSIX locale names to a language of ours', () => {
    assert.equal(localeFromTag('ru_RU.UTF-8'), 'ru');
    assert.equal(localeFromTag('es_ES'), 'es');
    assert.equal(localeFromTag('en_US.ISO-8859-1'), 'en');
    assert.equal(localeFromTag('ES-mx'), 'es');
    assert.equal(localeFromTag('ru@latin'), 'ru');
    for (const tag of ['C', 'POSIX', 'C.UTF-8', 'de_DE.UTF-8', '', undefined]) assert.equal(localeFromTag(tag), undefined, String(tag));
  });

  it('follows POSIX: the first non-empty of LC_ALL, LC_MESSAGES, LANG decides', () => {
    assert.equal(posixLocale({ LANG: 'ru_RU.UTF-8' }), 'ru');
    assert.equal(posixLocale({ LC_MESSAGES: 'es_ES.UTF-8', LANG: 'ru_RU.UTF-8' }), 'es');
    assert.equal(posixLocale({ LC_ALL: 'ru_RU.UTF-8', LC_MESSAGES: 'es_ES', LANG: 'en_US' }), 'ru');
    assert.equal(posixLocale({ LC_ALL: 'C', LANG: 'ru_RU.UTF-8' }), 'en', 'LC_ALL=C means English');
    assert.equal(posixLocale({ LC_ALL: '', LANG: 'es_ES' }), 'es', 'an empty variable is not set');
    assert.equal(posixLocale({ LANG: 'POSIX' }), 'en');
    assert.equal(posixLocale({ LANG: 'de_DE.UTF-8' }), 'en');
    assert.equal(posixLocale({}), 'en');
  });

  it('picks --lang, then RETAILCRM_MODULE_KIT_LANG, then the POSIX locale', () => {
    const env = { RETAILCRM_MODULE_KIT_LANG: 'es', LANG: 'ru_RU.UTF-8' };
    assert.deepEqual(pickCliLocale(argv('--lang', 'en'), env), { locale: 'en' });
    assert.deepEqual(pickCliLocale(argv('check'), env), { locale: 'es' });
    assert.deepEqual(pickCliLocale(argv('check'), { RETAILCRM_MODULE_KIT_LANG: 'ru_RU.UTF-8' }), { locale: 'ru' });
    assert.deepEqual(pickCliLocale(argv('check'), { LANG: 'ru_RU.UTF-8' }), { locale: 'ru' });
    // An unusable environment value is passed over; an unusable flag is the person's mistake.
    assert.deepEqual(pickCliLocale(argv('check'), { RETAILCRM_MODULE_KIT_LANG: 'de', LC_ALL: 'es_ES' }), { locale: 'es' });
    assert.deepEqual(pickCliLocale(argv('--lang', 'de'), env), { invalid: 'de' });
    assert.deepEqual(pickCliLocale(argv('--lang', 'RU'), env), { invalid: 'RU' });
    assert.deepEqual(pickCliLocale(argv('check'), {}), { locale: 'en' });
  });

  it('refuses an invalid --lang in English with the valid values, exit 2, before running anything', async () => {
    for (const args of [['--lang', 'de', 'keys', 'generate'], ['keys', 'generate', '--lang=xx'], ['keys', 'generate', '--lang']]) {
      const out: string[] = [];
      const err: string[] = [];
      const code = await runCli(argv(...args), { out: (l) => out.push(l), err: (l) => err.push(l) }, { RETAILCRM_MODULE_KIT_LANG: 'ru' });
      assert.equal(code, 2, args.join(' '));
      const value = args.at(-1) === '--lang' ? '' : (args.find((a) => a.startsWith('--lang='))?.slice(7) ?? 'de');
      assert.deepEqual(err, [`error: --lang must be one of en, ru, es, got "${value}"`]);
      assert.deepEqual(out, [], 'no key was generated');
    }
  });

  it('the chosen language reaches the commands and their output', async () => {
    const err: string[] = [];
    const code = await runCli(argv('init', '/dev/null'), { out: () => {}, err: (l) => err.push(l) }, { LC_ALL: 'es_ES.UTF-8' });
    assert.equal(code, 2);
    assert.deepEqual(err, ['error: /dev/null existe y no es una carpeta']);
    // After the command's own arguments too: commander takes --lang as the program's option anywhere.
    const ru: string[] = [];
    assert.equal(await runCli(argv('init', '/dev/null', '--lang', 'ru'), { out: () => {}, err: (l) => ru.push(l) }, { LANG: 'es_ES' }), 2);
    assert.deepEqual(ru, ['ошибка: /dev/null существует и не является папкой']);
  });
});
