/**
 * `defineModule`: a developer describes the module once; the kit derives the form, the checks, the
 * registration payload and the callbacks from it. Checked once, then frozen (STYLE R5).
 * @module
 */
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import type { Locale } from '../i18n/index.js';
import {
  AbsoluteUrl,
  closestName,
  credentialProblem,
  INTEGRATION_CODE_PATTERN,
  isKnownScope,
  KNOWN_SCOPES,
  REGISTRATION_CREDENTIALS,
  REGISTRATION_SCOPES,
  type Scope,
} from '../protocol/index.js';
import type { ModuleHooks } from './hooks.js';
import { resolveCallbacks, type CallbacksInput, type DeclaredCallback } from '../callbacks/declaration.js';
import type { ModuleRoutes, SettingsSection } from '../callbacks/own-routes.js';
import { settingsCallback } from '../callbacks/settings-callback.js';
import { defineJobs, type JobDefinition, type JobsInput } from '../jobs/define.js';
import type { CrmClient } from '../crm/types.js';
import type { CredentialsResponse } from '../protocol/index.js';
import { integrationProblems, type ModuleIntegrations } from '../callbacks/integration-config.js';

/** Text in one language, or per language (English is the fallback). */
export type LocalizedText = string | ({ readonly en: string } & Partial<Readonly<Record<Locale, string>>>);

export function localize(text: LocalizedText, locale: Locale): string {
  return typeof text === 'string' ? text : (text[locale] ?? text.en);
}

/**
 * How a setting is shown. Inferred from the schema when omitted: boolean → checkbox, number → number, enum or
 * declared options → select, array → multiselect, `z.url()` → url, otherwise text. `secret` (a carrier's token)
 * must be declared: it is never shown back, only "set", and the person may replace it.
 */
export type SettingInput = 'text' | 'textarea' | 'number' | 'checkbox' | 'select' | 'multiselect' | 'url' | 'secret';

/** One choice of a select or multi-select. */
export interface SettingOption {
  readonly value: string;
  /** Default: the value itself. */
  readonly label?: LocalizedText;
}

/** What a loader of options gets: a client for the account with the key just checked, and what the key may do. */
export interface SettingOptionsContext {
  readonly crm: CrmClient;
  readonly credentials: CredentialsResponse;
  readonly locale: Locale;
}

/** Options read from the account once the key passed its checks (its stores, order types, statuses…). */
export type SettingOptionsLoader = (context: SettingOptionsContext) => Promise<readonly SettingOption[]>;

export interface SettingField {
  readonly label: LocalizedText;
  readonly help?: LocalizedText;
  readonly input?: SettingInput;
  /** Labels of a select's options, by value; the values come from the schema's enum. */
  readonly optionLabels?: Readonly<Record<string, LocalizedText>>;
  /**
   * The choices of a select or multi-select: a list, or a loader that asks the account (`async ({ crm,
   * credentials }) => …`). Loaded options appear once the key is checked; before that the field is a text box.
   */
  readonly options?: readonly SettingOption[] | SettingOptionsLoader;
  /** Fields with the same section are grouped under this heading (a fieldset with a legend), in schema order. */
  readonly section?: LocalizedText;
}

/** The module's own settings: one zod object, and how each field is labelled. */
export interface SettingsDefinition<Shape extends z.ZodRawShape = z.ZodRawShape> {
  readonly schema: z.ZodObject<Shape>;
  readonly fields: { readonly [K in keyof Shape]: SettingField };
}

export type SettingsOf<D> = D extends { settings: SettingsDefinition<infer Shape> }
  ? z.output<z.ZodObject<Shape>>
  : Record<string, never>;

/** Paths of the module's own routes, relative to `baseUrl`. */
export interface ModulePaths {
  readonly connect: string;
  readonly settings: string;
  readonly activity: string;
  readonly health: string;
  /** Simple connection: the config endpoint (`configUrl` in the partner cabinet). Served only with a secret. */
  readonly simpleConfig: string;
  /** Simple connection: the register endpoint the config points the CRM to. */
  readonly simpleRegister: string;
  /** The CRM's `settings` callback (system settings of the account), registered as `actions.settings`. */
  readonly settingsCallback: string;
}

export const DEFAULT_PATHS: ModulePaths = Object.freeze({
  connect: '/connect',
  settings: '/settings',
  activity: '/activity',
  health: '/health',
  simpleConfig: '/simple-connection/config',
  simpleRegister: '/simple-connection/register',
  settingsCallback: '/callback/settings',
});

/** The simple connection (PROTOCOL §13): on when the module has the secret the partner cabinet generated. */
export interface SimpleConnectionDefinition {
  /** The Secret from the partner cabinet: keys the request token, and (derived) the replay claims and login tickets. */
  readonly secret: string;
}

export interface ModuleDefinitionInput<Shape extends z.ZodRawShape = z.ZodRawShape> {
  /** The marketplace symbol code chosen when publishing (Latin letters, digits, `-`, `_`). */
  readonly integrationCode: string;
  /** Instance code inside an account; must start with `integrationCode`. Default: `integrationCode`. */
  readonly code?: string;
  readonly name: LocalizedText;
  /** Absolute URL of the module's SVG logo. */
  readonly logo: string;
  /** The module's public origin (plus optional path prefix); callbacks and pages are served under it. */
  readonly baseUrl: string;
  /** Major API version the module needs. Default 5. */
  readonly apiVersion?: number;
  /** Scopes the key must have. `integration_read` and `integration_write` are always added. */
  readonly scopes?: readonly Scope[];
  /**
   * Legacy credential paths for accounts that report no scopes (PROTOCOL §4.2). The registration pair is always
   * added. Default: none beyond that pair.
   */
  readonly credentials?: readonly string[];
  readonly settings?: SettingsDefinition<Shape>;
  /** The `integrations` block sent at registration; a function may derive it from the settings. */
  readonly integrations?: ModuleIntegrations | ((settings: z.output<z.ZodObject<Shape>>) => ModuleIntegrations);
  readonly availableCountries?: readonly string[];
  readonly paths?: Partial<ModulePaths>;
  readonly hooks?: ModuleHooks<z.output<z.ZodObject<Shape>>>;
  /** Offer the simple connection beside the connect form (docs/simple-connection.md). */
  readonly simpleConnection?: SimpleConnectionDefinition;
  /**
   * Callbacks the CRM sends the module, by group and action name (docs/guide/callbacks.md): each is served, and
   * registered in the `actions` of every registration. The `settings` callback is built in (`hooks.onCrmSettings`).
   */
  readonly callbacks?: CallbacksInput;
  /** The module's own routes inside the kit's scope (form parser, CSRF, the settings session). */
  readonly routes?: ModuleRoutes;
  /** The module's own content on its settings page. */
  readonly settingsSection?: SettingsSection;
  /** Periodic work per enabled connection (docs/guide/fleet.md): `{ syncOrders: { every: '5m', run } }`. */
  readonly jobs?: JobsInput;
}

/** A checked, frozen module definition. */
export interface ModuleDefinition<Shape extends z.ZodRawShape = z.ZodRawShape> {
  readonly integrationCode: string;
  readonly code: string;
  readonly name: LocalizedText;
  readonly logo: string;
  /** No trailing slash. */
  readonly baseUrl: string;
  readonly apiVersion: number;
  readonly scopes: readonly string[];
  readonly credentials: readonly string[];
  readonly settings: SettingsDefinition<Shape> | undefined;
  readonly integrations: ModuleDefinitionInput<Shape>['integrations'];
  readonly availableCountries: readonly string[] | undefined;
  readonly paths: ModulePaths;
  readonly hooks: ModuleHooks<z.output<z.ZodObject<Shape>>>;
  readonly simpleConnection: SimpleConnectionDefinition | undefined;
  /** Every callback served and registered, the built-in `settings` first. */
  readonly callbacks: readonly DeclaredCallback[];
  readonly routes: ModuleRoutes | undefined;
  readonly settingsSection: SettingsSection | undefined;
  readonly jobs: readonly JobDefinition[];
}

/**
 * Any module definition, whatever its settings. The flows take this: a definition's hooks and `integrations`
 * are typed by its own settings, which makes definitions with different settings mutually unassignable.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyModuleDefinition = ModuleDefinition<any>;

/** The settings type of a module definition. */
export type ModuleSettings<M> = M extends ModuleDefinition<infer Shape> ? z.output<z.ZodObject<Shape>> : never;

/**
 * Checks a module description and returns it frozen, with defaults applied. Every problem is reported at once.
 *
 * @example
 * ```ts
 * const module = defineModule({
 *   integrationCode: 'acme-sync',
 *   name: { en: 'Acme sync', ru: 'Синхронизация Acme' },
 *   logo: 'https://acme.example/logo.svg',
 *   baseUrl: 'https://acme.example',
 *   scopes: ['order_read'],
 *   settings: { schema: z.object({ prefix: z.string().max(5) }), fields: { prefix: { label: 'Order prefix' } } },
 * });
 * ```
 */
export function defineModule<Shape extends z.ZodRawShape = z.ZodRawShape>(
  input: ModuleDefinitionInput<Shape>,
): ModuleDefinition<Shape> {
  const problems: string[] = [];
  const code = input.code ?? input.integrationCode;
  if (!input.integrationCode || !INTEGRATION_CODE_PATTERN.test(input.integrationCode))
    problems.push('integrationCode is required: Latin letters, digits, "-" and "_" only');
  else if (!code.startsWith(input.integrationCode))
    problems.push(`code "${code}" must start with integrationCode "${input.integrationCode}" (the CRM refuses it otherwise)`);
  if (!INTEGRATION_CODE_PATTERN.test(code)) problems.push('code: Latin letters, digits, "-" and "_" only');
  if (!input.name || (typeof input.name !== 'string' && !input.name.en)) problems.push('name is required (at least in English)');
  if (!AbsoluteUrl.safeParse(input.logo).success) problems.push('logo must be an absolute URL of an SVG image');
  if (!AbsoluteUrl.safeParse(input.baseUrl).success) problems.push('baseUrl must be an absolute http(s) URL');
  else if (new URL(input.baseUrl).search || new URL(input.baseUrl).hash) problems.push('baseUrl must not have a query or fragment');
  const apiVersion = input.apiVersion ?? 5;
  if (!Number.isInteger(apiVersion) || apiVersion < 1) problems.push('apiVersion must be a positive whole number, e.g. 5');
  const paths = { ...DEFAULT_PATHS, ...input.paths };
  for (const [name, path] of Object.entries(paths))
    if (!path.startsWith('/')) problems.push(`paths.${name} must start with "/"`);
  if (new Set(Object.values(paths)).size !== Object.values(paths).length) problems.push('paths must be distinct');
  if (input.settings && !('_zod' in (input.settings.schema as object)))
    problems.push('settings.schema must be a zod 4 object (z.object from "zod" version 4); it looks like zod 3');
  else if (input.settings) {
    const schemaKeys = Object.keys(input.settings.schema.shape);
    const fieldKeys = Object.keys(input.settings.fields);
    for (const key of schemaKeys) if (!fieldKeys.includes(key)) problems.push(`settings.fields.${key} is missing (label it)`);
    for (const key of fieldKeys) if (!schemaKeys.includes(key)) problems.push(`settings.fields.${key} is not in settings.schema`);
    for (const key of schemaKeys) if (RESERVED_FORM_FIELDS.has(key)) problems.push(`settings key "${key}" is reserved by the connect form`);
  }
  for (const scope of input.scopes ?? []) {
    if (isKnownScope(scope)) continue;
    const near = closestName(scope, KNOWN_SCOPES);
    problems.push(`scopes: "${scope}" is not a scope the CRM knows${near ? `: did you mean "${near}"?` : ` (known: ${KNOWN_SCOPES.join(', ')})`}`);
  }
  for (const path of input.credentials ?? []) {
    const problem = credentialProblem(path);
    if (problem) problems.push(`credentials: ${problem}`);
  }
  if (input.simpleConnection !== undefined && (typeof input.simpleConnection.secret !== 'string' || input.simpleConnection.secret.trim() === ''))
    problems.push('simpleConnection.secret must be the non-empty Secret from the partner cabinet');
  if (input.integrations !== undefined && typeof input.integrations !== 'function') problems.push(...integrationProblems(input.integrations));
  const callbacks = resolveCallbacks(input.callbacks, [settingsCallback(paths.settingsCallback)]);
  problems.push(...callbacks.problems);
  const ownPaths = new Set(Object.entries(paths).filter(([name]) => name !== 'settingsCallback').map(([, path]) => path));
  for (const callback of callbacks.callbacks)
    if (ownPaths.has(callback.path)) problems.push(`callbacks.${callback.group}.${callback.action}: path ${callback.path} is one of paths`);
  if (input.routes !== undefined && typeof input.routes !== 'function') problems.push('routes must be a function (app, tools) => …');
  if (input.settingsSection !== undefined && typeof input.settingsSection !== 'function') problems.push('settingsSection must be a function');
  let jobs: readonly JobDefinition[] = [];
  try {
    jobs = defineJobs(input.jobs ?? {});
  } catch (error) {
    if (error instanceof ConfigError) problems.push(...error.problems);
    else throw error;
  }
  if (problems.length > 0) throw new ConfigError(problems.map((p) => `defineModule: ${p}`));

  return Object.freeze({
    integrationCode: input.integrationCode,
    code,
    name: input.name,
    logo: input.logo,
    baseUrl: input.baseUrl.replace(/\/+$/, ''),
    apiVersion,
    scopes: Object.freeze(unique([...REGISTRATION_SCOPES, ...(input.scopes ?? [])])),
    credentials: Object.freeze(unique([...REGISTRATION_CREDENTIALS, ...(input.credentials ?? [])])),
    settings: input.settings,
    integrations: input.integrations,
    availableCountries: input.availableCountries,
    paths: Object.freeze(paths),
    hooks: Object.freeze({ ...input.hooks }),
    simpleConnection: input.simpleConnection ? Object.freeze({ secret: input.simpleConnection.secret }) : undefined,
    callbacks: Object.freeze(callbacks.callbacks),
    routes: input.routes,
    settingsSection: input.settingsSection,
    jobs,
  });
}

/** Names the connect form uses itself; a setting may not shadow them. */
export const RESERVED_FORM_FIELDS: ReadonlySet<string> = new Set(['account', 'apiKey', '_csrf', 'lang', 'clientId', 'draft']);

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** The input kind of a settings field: declared, or inferred from its schema. */
export function settingInput(definition: SettingsDefinition, key: string): SettingInput {
  const declared = definition.fields[key]?.input;
  if (declared) return declared;
  const type = unwrap(definition.schema.shape[key]);
  if (type instanceof z.ZodBoolean) return 'checkbox';
  if (type instanceof z.ZodNumber) return 'number';
  if (type instanceof z.ZodArray) return 'multiselect';
  if (type instanceof z.ZodEnum || definition.fields[key]?.options !== undefined) return 'select';
  if (type instanceof z.ZodURL) return 'url';
  return 'text';
}

/** True when the field's choices come from the account (a loader), not from the module. */
export function settingOptionsLoaded(definition: SettingsDefinition, key: string): boolean {
  return typeof definition.fields[key]?.options === 'function';
}

/**
 * The static choices of a select or multi-select: the declared list, else the schema's enum (of the array's items
 * for a multi-select) labelled by `optionLabels`. `[]` for loaded options and other kinds.
 */
export function settingOptions(definition: SettingsDefinition, key: string): SettingOption[] {
  const declared = definition.fields[key]?.options;
  if (Array.isArray(declared)) return [...(declared as readonly SettingOption[])];
  if (typeof declared === 'function') return [];
  let type = unwrap(definition.schema.shape[key]);
  if (type instanceof z.ZodArray) type = unwrap(type.element);
  if (!(type instanceof z.ZodEnum)) return [];
  const labels = definition.fields[key]?.optionLabels ?? {};
  return (type.options as unknown[]).map(String).map((value) => (labels[value] ? { value, label: labels[value] } : { value }));
}

/** The bounds of a number setting from its schema (`.min()`, `.max()`, `.int()`), for the input's attributes. */
export function settingRange(definition: SettingsDefinition, key: string): { min?: number; max?: number; integer: boolean } {
  const type = unwrap(definition.schema.shape[key]);
  if (!(type instanceof z.ZodNumber)) return { integer: false };
  const finite = (value: number | null) => (value !== null && Number.isFinite(value) && Math.abs(value) < Number.MAX_SAFE_INTEGER ? value : undefined);
  const min = finite(type.minValue);
  const max = finite(type.maxValue);
  return { ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }), integer: type.isInt };
}

/** The keys of the module's secret settings (`input: 'secret'`). */
/** Settings posted as several values of one name (multi-selects): the only form fields that may repeat. */
export function listSettingKeys(module: AnyModuleDefinition): ReadonlySet<string> {
  const settings = module.settings;
  return new Set(settings ? Object.keys(settings.schema.shape).filter((key) => settingInput(settings, key) === 'multiselect') : []);
}

export function secretSettingKeys(module: AnyModuleDefinition): string[] {
  const settings = module.settings;
  return settings ? Object.keys(settings.schema.shape).filter((key) => settingInput(settings, key) === 'secret') : [];
}

function unwrap(type: unknown): unknown {
  let current = type;
  while (
    current instanceof z.ZodOptional ||
    current instanceof z.ZodDefault ||
    current instanceof z.ZodNullable ||
    current instanceof z.ZodPrefault
  )
    current = current.unwrap();
  return current;
}

/** What each setting is when nobody typed anything: its schema's default (`.default()`), where it has one. */
export function settingsDefaults(module: AnyModuleDefinition): Readonly<Record<string, unknown>> {
  const shape: Record<string, z.ZodType> = module.settings?.schema.shape ?? {};
  const defaults: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(shape)) {
    const parsed = schema.safeParse(undefined);
    if (parsed.success && parsed.data !== undefined) defaults[key] = parsed.data;
  }
  return Object.freeze(defaults);
}
