import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { LOCALES } from '../i18n/index.js';
import { connectPage } from '../host/pages/connect-page.js';
import { isKitError } from '../errors.js';
import { parseSettings } from './checks.js';
import { ConnectStepError } from './checks.js';
import { defineModule } from './module-definition.js';

// One field per kind of issue zod reports for a settings object, each with a value that trips it.
const schema = z.object({
  required: z.string(),
  emptyText: z.string().min(1),
  short: z.string().min(3),
  long: z.string().max(2),
  exact: z.string().length(2),
  number: z.number(),
  whole: z.number().int(),
  low: z.number().min(5),
  lowExclusive: z.number().gt(5),
  high: z.number().max(5),
  highExclusive: z.number().lt(5),
  multiple: z.number().multipleOf(3),
  url: z.url(),
  email: z.email(),
  pattern: z.string().regex(/^[A-Z]+$/),
  own: z.string().regex(/^[A-Z]+$/, 'capital letters only'),
  option: z.enum(['a', 'b']),
  literal: z.literal('x'),
  few: z.array(z.string()).min(2),
  many: z.array(z.string()).max(1),
  union: z.union([z.string(), z.number()]),
  custom: z.string().refine(() => false),
  record: z.record(z.enum(['k']), z.string()),
  startsWith: z.string().startsWith('a'),
  bool: z.boolean(),
});
const input: Record<string, unknown> = {
  required: undefined, emptyText: '', short: 'ab', long: 'abc', exact: 'abc', number: 'x', whole: 1.5, low: 1,
  lowExclusive: 5, high: 9, highExclusive: 5, multiple: 4, url: 'not a url', email: 'nope', pattern: 'abc', own: 'abc',
  option: 'c', literal: 'y', few: ['a'], many: ['a', 'b'], union: true, custom: 'v', record: { z: 'v' }, startsWith: 'b', bool: 'yes',
};
const fields = Object.fromEntries(Object.keys(schema.shape).map((key) => [key, { label: { en: `EN-${key}`, ru: `RU-${key}`, es: `ES-${key}` } }]));
const module = defineModule({
  integrationCode: 'acme', name: 'Acme', logo: 'https://acme.example/logo.svg', baseUrl: 'https://acme.example',
  settings: { schema, fields: fields as never },
});

/** Every message zod itself would produce for this input, in its en, ru and es locales. */
function zodTexts(): string[] {
  const texts = new Set<string>();
  for (const locale of [z.locales.en, z.locales.ru, z.locales.es]) {
    const parsed = schema.safeParse(input, { error: locale().localeError });
    for (const issue of parsed.error?.issues ?? []) texts.add(issue.message);
  }
  return [...texts].filter((text) => text !== 'capital letters only');
}

function fieldErrorsOf(locale: (typeof LOCALES)[number]): Record<string, string> {
  try {
    parseSettings(module, input, locale);
  } catch (error) {
    assert.ok(error instanceof ConnectStepError && isKitError(error));
    return { ...error.fieldErrors };
  }
  assert.fail('the settings were accepted');
}

describe('human messages for settings that fail their schema', () => {
  const zod = zodTexts();

  it('zod itself reports every kind of issue for this input (the test covers them all)', () => {
    const codes = new Set(schema.safeParse(input).error?.issues.map((issue) => issue.code));
    for (const code of ['invalid_type', 'too_small', 'too_big', 'invalid_format', 'invalid_value', 'not_multiple_of', 'invalid_union', 'custom', 'unrecognized_keys'])
      assert.ok(codes.has(code as never), `no ${code} issue`);
    assert.ok(zod.length > 15);
  });

  for (const locale of LOCALES) {
    it(`${locale}: every field gets a message naming it by its label, and no zod text appears on the page`, () => {
      const errors = fieldErrorsOf(locale);
      assert.deepEqual(Object.keys(errors).sort(), Object.keys(schema.shape).sort());
      for (const [key, message] of Object.entries(errors)) {
        if (key === 'own') continue;
        assert.ok(message.includes(`${locale.toUpperCase()}-${key}`), `${locale}.${key}: ${message}`);
        assert.doesNotMatch(message, /Invalid (input|option)|expected \S+, received|expected one of|Неверн|se esperaba|\u0000/, `${locale}.${key}: ${message}`);
      }
      assert.equal(errors.own, 'capital letters only', 'the module’s own message is kept');
      const page = connectPage(
        { locale, langHref: () => '#', cssHref: '/m.css' },
        { module, action: '/connect', csrfToken: 't', account: '', settings: {}, failure: { code: 'RCMK_SETTINGS_INVALID' as never, message: 'x', fieldErrors: errors } },
      );
      for (const text of zod) assert.ok(!page.includes(text), `${locale}: zod text on the page: ${text}`);
    });
  }

  it('names the specifics: the range, the length, the count', () => {
    const errors = fieldErrorsOf('en');
    assert.equal(errors.required, 'Fill in “EN-required”.');
    assert.equal(errors.emptyText, 'Fill in “EN-emptyText”.');
    assert.match(errors.short ?? '', /at least 3 characters/);
    assert.match(errors.high ?? '', /5 or less/);
    assert.match(errors.lowExclusive ?? '', /more than 5/);
    assert.match(errors.url ?? '', /web address/);
    assert.match(errors.option ?? '', /one of the offered options/);
    assert.match(errors.few ?? '', /at least 2/);
    assert.match(fieldErrorsOf('ru').multiple ?? '', /кратно 3/);
  });
});
