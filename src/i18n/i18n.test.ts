import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../errors.js';
import { errorMessage, LOCALES, messages, pickLocale, translate } from './index.js';

describe('i18n', () => {
  // Keys come from en, the source of truth, so a new key extends these checks by itself.
  it('every locale has exactly the keys of en, none empty', () => {
    const keys = Object.keys(messages.en).sort();
    for (const locale of LOCALES) {
      assert.deepEqual(Object.keys(messages[locale]).sort(), keys, `${locale} differs from en`);
      for (const key of keys) assert.ok(messages[locale][key as keyof typeof messages.en].trim(), `${locale}.${key} is empty`);
    }
  });

  it('every error code has a message, and every message placeholder is the same across locales', () => {
    for (const code of Object.values(ErrorCode)) assert.ok(`error.${code}` in messages.en, `no message for ${code}`);
    for (const key of Object.keys(messages.en) as (keyof typeof messages.en)[]) {
      const placeholders = (text: string) => (text.match(/\{\w+\}/g) ?? []).sort();
      for (const locale of LOCALES) assert.deepEqual(placeholders(messages[locale][key]), placeholders(messages.en[key]), `${locale}.${key}`);
    }
  });

  it('no locale reuses the English text for an error (untranslated copy)', () => {
    for (const locale of ['ru', 'es'] as const)
      for (const key of Object.keys(messages.en) as (keyof typeof messages.en)[])
        if (key.startsWith('error.')) assert.notEqual(messages[locale][key], messages.en[key], `${locale}.${key}`);
  });

  it('picks the locale from an explicit choice, then Accept-Language by quality', () => {
    assert.equal(pickLocale('ru-RU,ru;q=0.9,en;q=0.8'), 'ru');
    assert.equal(pickLocale('de-DE,es;q=0.5,ru;q=0.4'), 'es');
    assert.equal(pickLocale('en;q=0.1, ru;q=0.9'), 'ru');
    assert.equal(pickLocale('fr, de'), 'en');
    assert.equal(pickLocale(undefined), 'en');
    assert.equal(pickLocale('ru', 'es'), 'es');
    assert.equal(pickLocale('ru', 'xx'), 'ru');
  });

  it('fills placeholders, joining lists', () => {
    const text = errorMessage('en', ErrorCode.RightsMissing, { missing: ['integration_read', 'order_read'] });
    assert.match(text, /integration_read, order_read/);
    assert.match(translate('ru', 'error.RCMK_API_VERSION_MISSING', { version: 5 }), /версии 5/);
  });
});
