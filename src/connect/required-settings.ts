/**
 * "The connection counts as active only when the settings the module requires are present" (issue 7): the simple
 * connection registers before the person has seen the module's settings, so a connection may exist without them.
 * @see ../../docs/simple-connection.md
 */
import type { AnyModuleDefinition } from './module-definition.js';

/**
 * True when `settings` satisfy the module's settings schema (always true for a module without settings). Only the
 * schema decides: `validateSettings` may call the CRM, and it runs when the person saves the settings anyway.
 */
export function settingsComplete(module: AnyModuleDefinition, settings: Readonly<Record<string, unknown>>): boolean {
  return module.settings === undefined || module.settings.schema.safeParse(settings).success;
}
