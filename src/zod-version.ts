/**
 * zod is a peer dependency: the module's settings schema and the kit's wire schemas must be the same zod 4.
 * Imported first by every entry point, so a project on zod 3 gets this message instead of a TypeError from deep
 * inside a schema.
 * @module
 */
import * as zod from 'zod';

// zod 4 exports toJSONSchema at its root; zod 3 (including 3.25, whose root is still zod 3) does not.
if (typeof (zod as { toJSONSchema?: unknown }).toJSONSchema !== 'function') {
  const error = new Error(
    'retailcrm-module-kit needs zod 4, but this project resolves "zod" to an older version. ' +
      'Run "npm install zod@^4" (and use zod 4 for your settings schema).',
  );
  // The CLI tells this failure apart by name to print it in the person's language.
  error.name = 'ZodVersionError';
  throw error;
}
