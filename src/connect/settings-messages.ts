/**
 * Human messages for settings that fail their schema: one sentence per kind of problem, in the person's language,
 * naming the field by its label. zod's own texts ("Invalid input: expected string…") never reach a page: the
 * schema is parsed with an error map that marks every message zod would make up, and each marked issue is
 * replaced here. A message the module wrote into its schema (`.regex(re, 'up to 10 capital letters')`) is kept.
 * @module
 */
import type { core } from 'zod';
import { type Locale, type MessageKey, translate } from '../i18n/index.js';

/** What zod writes where the module gave no message of its own. */
export const ZOD_DEFAULT_MARK = '\u0000rcmk-default';

/** The error map for `safeParse`: every message zod would invent becomes the mark. */
export const markDefaultMessages = (): string => ZOD_DEFAULT_MARK;

type Issue = core.$ZodIssue;

/**
 * The message for one issue of a settings field. `value` is what the form sent for the field (an absent or empty
 * value is "required", whatever the schema's own check was).
 */
export function settingIssueMessage(issue: Issue, field: string, value: unknown, locale: Locale): string {
  if (issue.message && issue.message !== ZOD_DEFAULT_MARK) return issue.message;
  const say = (key: MessageKey, params: Record<string, string | number> = {}) => translate(locale, key, { field, ...params });
  const empty = value === undefined || value === '' || (Array.isArray(value) && value.length === 0);
  switch (issue.code) {
    case 'invalid_type':
      if (empty) return say('settingIssue.required');
      if (issue.expected === 'number' || issue.expected === 'int') return say(issue.expected === 'int' ? 'settingIssue.integer' : 'settingIssue.number');
      return say('settingIssue.invalid');
    case 'too_small': {
      const minimum = Number(issue.minimum);
      if (issue.origin === 'string')
        return empty || minimum <= 1 ? say('settingIssue.required') : say('settingIssue.tooShort', { minimum });
      if (issue.origin === 'array' || issue.origin === 'set')
        return say('settingIssue.chooseAtLeast', { minimum });
      return say(issue.inclusive === false ? 'settingIssue.above' : 'settingIssue.atLeast', { minimum });
    }
    case 'too_big': {
      const maximum = Number(issue.maximum);
      if (issue.origin === 'string')
        return say(issue.exact ? 'settingIssue.exactLength' : 'settingIssue.tooLong', { maximum });
      if (issue.origin === 'array' || issue.origin === 'set') return say('settingIssue.chooseAtMost', { maximum });
      return say(issue.inclusive === false ? 'settingIssue.below' : 'settingIssue.atMost', { maximum });
    }
    case 'invalid_format':
      if (empty) return say('settingIssue.required');
      if (issue.format === 'url') return say('settingIssue.url');
      if (issue.format === 'email') return say('settingIssue.email');
      return say('settingIssue.pattern');
    case 'invalid_value':
      return empty ? say('settingIssue.required') : say('settingIssue.option');
    case 'not_multiple_of':
      return say('settingIssue.multipleOf', { divisor: Number(issue.divisor) });
    default:
      // unrecognized_keys, invalid_key, invalid_element, invalid_union, custom: nothing more specific to say.
      return empty ? say('settingIssue.required') : say('settingIssue.invalid');
  }
}
