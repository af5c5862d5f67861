/**
 * The control operations: one implementation behind both the HTTP control API (`/_emulator/*`) and the handle
 * that `startEmulator` returns, so in-process tests and scripts over HTTP see the same behaviour.
 * @module
 */
import { KNOWN_SCOPES, type IntegrationModule, type Site } from '../protocol/index.js';
import type { CallbackSender } from './activity.js';
import { callbackUrl } from './activity.js';
import {
  ActivityInput,
  CreateAccountInput,
  CreateApiKeyInput,
  FaultInput,
  MarketplaceListingInput,
  parseControl,
  RenameAccountInput,
} from './control-schemas.js';
import { EmulatorConflictError, EmulatorNotFoundError, EmulatorRequestError } from './errors.js';
import type { FaultRule, FaultTable } from './faults.js';
import type { SimpleConnectOutcome, SimpleConnector } from './simple-connect.js';
import type { ResourceControl } from './resource-control.js';
import type { IntegrationControl } from './integration-control.js';
import { makeApiKeyRecord, maskApiKey, type ApiKeyRecord } from './keys.js';
import {
  moduleView,
  type Account,
  type ActivityDelivery,
  type EmulatorState,
  type MarketplaceListing,
  type RequestLogEntry,
} from './state.js';

export const DEFAULT_API_VERSIONS: readonly string[] = Object.freeze(['3.0', '4.0', '5.0']);
export const DEFAULT_SITES: readonly Site[] = Object.freeze([
  Object.freeze({ code: 'main', name: 'Main store', url: 'https://shop.example.com', defaultForCrm: true }),
]);

export interface CreatedAccount {
  readonly name: string;
  readonly url: string;
  /** A key with every scope, so tests can act as the account's administrator. */
  readonly apiKey: string;
}

export interface EmulatorControl extends ResourceControl, IntegrationControl {
  createAccount(input: CreateAccountInput): CreatedAccount;
  createApiKey(account: string, input?: CreateApiKeyInput): { apiKey: string };
  revokeApiKey(account: string, apiKey: string): void;
  /**
   * The account moves to `{newName}.localhost`: it answers there too (its old address keeps working), `system-info`
   * reports the new address as `publicUrl` (the old one stays `technicalUrl`) and callbacks carry it as `systemUrl`.
   * @throws EmulatorConflictError when the name is taken
   */
  renameAccount(account: string, newName: string): { url: string };
  /** Registered modules as stored, clientId included. */
  integrationModules(account: string): IntegrationModule[];
  /** Changes active/freeze, sends the activity callback and reports how it went. */
  setActivity(account: string, code: string, input?: ActivityInput): Promise<ActivityDelivery>;
  /** Publishes (or re-publishes) a card shown in every account's marketplace. The answer omits the secret. */
  publishModule(input: MarketplaceListingInput): MarketplaceListing;
  /**
   * Connect on a simple-connection card, as the CRM does it: config, key with the requested scopes, register.
   * A failed registration revokes the key it created. @throws EmulatorNotFoundError
   */
  connectSimple(account: string, integrationCode: string): Promise<SimpleConnectOutcome>;
  addFault(input: FaultInput): { id: string };
  removeFault(id: string): void;
  clearFaults(): void;
  faults(): readonly FaultRule[];
  requests(account?: string): RequestLogEntry[];
  /** @throws EmulatorNotFoundError */
  account(name: string): Account;
}

export interface ControlDeps {
  readonly state: EmulatorState;
  readonly faults: FaultTable;
  readonly sender: CallbackSender;
  readonly connector: SimpleConnector;
  readonly accountUrl: (name: string) => string;
}

/** The connection-side operations; `server.ts` adds the business-data ones (`resource-control.ts`). */
export function createControl({ state, faults, sender, connector, accountUrl }: ControlDeps): Omit<EmulatorControl, keyof ResourceControl | keyof IntegrationControl> {
  function account(name: string): Account {
    const found = state.accounts.get(name);
    if (found === undefined) throw new EmulatorNotFoundError('account', name);
    return found;
  }

  function addKey(target: Account, raw: unknown): ApiKeyRecord {
    const input = parseControl(CreateApiKeyInput, raw);
    const sitesAvailable = input.sitesAvailable ?? [];
    const unknownSites = sitesAvailable.filter((code) => !target.sites.some((site) => site.code === code));
    if (unknownSites.length > 0) throw new EmulatorRequestError([`sitesAvailable: unknown store ${unknownSites.join(', ')}`]);
    const record = makeApiKeyRecord({
      id: state.nextKeyId(),
      scopes: input.scopes ?? [],
      credentials: input.credentials ?? [],
      siteAccess: input.siteAccess ?? (sitesAvailable.length > 0 ? 'access_selective' : 'access_full'),
      sitesAvailable,
    });
    target.keys.set(record.key, record);
    return record;
  }

  return {
    account,
    createAccount(raw) {
      const input = parseControl(CreateAccountInput, raw);
      if (state.accountNamed(input.name)) throw new EmulatorConflictError('account', input.name);
      const created: Account = {
        name: input.name,
        apiVersions: Object.freeze([...(input.apiVersions ?? DEFAULT_API_VERSIONS)]),
        sites: Object.freeze((input.sites ?? DEFAULT_SITES).map((site) => Object.freeze({ ...site }))),
        keys: new Map(),
        modules: new Map(),
        createdAt: new Date().toISOString(),
        publicName: input.name,
      };
      state.accounts.set(created.name, created);
      const key = addKey(created, { scopes: [...KNOWN_SCOPES] });
      return { name: created.name, url: accountUrl(created.name), apiKey: key.key };
    },
    renameAccount(name, raw) {
      const target = account(name);
      const newName = parseControl(RenameAccountInput, { name: raw }).name;
      if (newName !== target.name && state.accountNamed(newName)) throw new EmulatorConflictError('account', newName);
      if (newName !== target.name) state.aliases.set(newName, target.name);
      target.publicName = newName;
      return { url: accountUrl(newName) };
    },
    createApiKey(name, raw) {
      return { apiKey: addKey(account(name), raw).key };
    },
    revokeApiKey(name, apiKey) {
      const record = account(name).keys.get(apiKey);
      if (record === undefined || record.revoked) throw new EmulatorNotFoundError('API key', maskApiKey(apiKey) ?? '(empty)');
      record.revoked = true;
    },
    integrationModules(name) {
      return [...account(name).modules.values()].map(moduleView);
    },
    async setActivity(name, code, raw) {
      const input = parseControl(ActivityInput, raw);
      const target = account(name);
      const module = target.modules.get(code);
      if (module === undefined) throw new EmulatorNotFoundError('integration module', code);
      module.active = input.active ?? module.active;
      module.freeze = input.freeze ?? module.freeze;
      module.updatedAt = new Date().toISOString();
      const activity = { active: module.active, freeze: module.freeze };
      const { baseUrl, actions, clientId } = module.registration;
      const action = actions?.['activity'];
      const delivery: ActivityDelivery =
        baseUrl === undefined || action === undefined
          ? { delivered: false, status: null, body: null, error: 'the module registered no activity callback', activity, at: new Date().toISOString() }
          : await sender.send({
              url: callbackUrl(baseUrl, action),
              clientId,
              activity,
              systemUrl: input.systemUrl ?? accountUrl(target.publicName),
            });
      module.lastDelivery = delivery;
      return delivery;
    },
    publishModule(raw) {
      const input = parseControl(MarketplaceListingInput, raw);
      const listing: MarketplaceListing = Object.freeze({ ...input, publishedAt: new Date().toISOString() });
      state.marketplace.set(listing.integrationCode, listing);
      const { secret: _secret, ...shown } = listing;
      return shown;
    },
    async connectSimple(name, integrationCode) {
      const target = account(name);
      const listing = state.marketplace.get(integrationCode);
      if (listing?.configUrl === undefined || listing.secret === undefined)
        throw new EmulatorNotFoundError('simple-connection module', integrationCode);
      return connector.connect({
        configUrl: listing.configUrl,
        secret: listing.secret,
        systemUrl: `${accountUrl(target.name)}/`,
        issueKey: (scopes) => addKey(target, { scopes: [...scopes] }).key,
        revokeKey: (apiKey) => {
          const record = target.keys.get(apiKey);
          if (record) record.revoked = true;
        },
      });
    },
    addFault(raw) {
      return { id: faults.add(parseControl(FaultInput, raw)).id };
    },
    removeFault(id) {
      if (!faults.remove(id)) throw new EmulatorNotFoundError('fault', id);
    },
    clearFaults: () => faults.clear(),
    faults: () => faults.list(),
    requests: (name) => state.requests(name),
  };
}
