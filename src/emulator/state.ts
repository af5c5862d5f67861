/**
 * The emulator's in-memory world: accounts (with keys, stores and registered modules), the marketplace and the
 * journal of API calls. Nothing is written to disk. One instance per emulator; never a module-level singleton.
 * @module
 */
import type { Activity, IntegrationModule, IntegrationModuleEdit, Site } from '../protocol/index.js';
import type { ApiKeyRecord } from './keys.js';

/** The outcome of one activity callback, kept so the integration list can show it. */
export interface ActivityDelivery {
  /** True when the module answered with a 2xx status. */
  readonly delivered: boolean;
  /** HTTP status of the module's answer; null when no answer arrived. */
  readonly status: number | null;
  /** The answer's body (first 2,000 characters); null when no answer arrived. */
  readonly body: string | null;
  /** Why nothing was delivered (network error, timeout, no callback registered). */
  readonly error?: string;
  readonly url?: string;
  readonly activity: Activity;
  readonly at: string;
}

export interface StoredModule {
  /** The registration as the module sent it (unknown fields kept), minus CRM-owned flags. */
  registration: IntegrationModuleEdit;
  active: boolean;
  freeze: boolean;
  lastDelivery: ActivityDelivery | null;
  readonly createdAt: string;
  updatedAt: string;
}

export interface Account {
  readonly name: string;
  readonly apiVersions: readonly string[];
  readonly sites: readonly Site[];
  /** Lookup by key string; revoked keys stay (flagged) so the admin list can show them. */
  readonly keys: Map<string, ApiKeyRecord>;
  readonly modules: Map<string, StoredModule>;
  readonly createdAt: string;
  /**
   * The name the account is known by now: `system-info` reports `{publicName}.localhost` as its `publicUrl` and
   * callbacks carry it as `systemUrl` (`renameAccount`, an account that moved to a new domain). Default: `name`.
   */
  publicName: string;
}

export interface MarketplaceListing {
  readonly integrationCode: string;
  readonly name: string;
  readonly logo?: string;
  readonly description?: string;
  /** Classic connection: where Connect sends the person. */
  readonly accountUrl?: string;
  /** Simple connection: the config URL (PROTOCOL §13.3). */
  readonly configUrl?: string;
  /** Simple connection: the cabinet's Secret. Never shown on a page or returned by the control API. */
  readonly secret?: string;
  readonly publishedAt: string;
}

export interface RequestLogEntry {
  readonly at: string;
  readonly account: string;
  readonly method: string;
  /** Path without the query string (which may carry `apiKey`). */
  readonly path: string;
  /** 0 when a fault dropped the connection. */
  readonly status: number;
  readonly apiKey: string | null;
  readonly fault?: string;
}

/** The module as `GET /api/v5/integration-modules/{code}` and the control API return it. */
export function moduleView(module: StoredModule): IntegrationModule {
  return {
    availableCountries: [],
    ...module.registration,
    active: module.active,
    freeze: module.freeze,
    // `native` is unexplained in the sources (PROTOCOL §17 #13); marketplace modules show false.
    native: false,
  } as IntegrationModule;
}

const REQUEST_LOG_SIZE = 1000;

export class EmulatorState {
  readonly accounts = new Map<string, Account>();
  readonly marketplace = new Map<string, MarketplaceListing>();
  /** Other names an account answers at (after `renameAccount`): alias → account name. */
  readonly aliases = new Map<string, string>();

  /** The account a host name stands for: its own name or an alias. */
  accountNamed(name: string): Account | undefined {
    return this.accounts.get(name) ?? this.accounts.get(this.aliases.get(name) ?? '');
  }
  // A ring buffer: the journal keeps the most recent calls and never grows under load.
  readonly #log: (RequestLogEntry | undefined)[] = new Array(REQUEST_LOG_SIZE);
  #logNext = 0;
  #keyCounter = 0;

  nextKeyId(): string {
    return `k${++this.#keyCounter}`;
  }

  record(entry: RequestLogEntry): void {
    this.#log[this.#logNext] = entry;
    this.#logNext = (this.#logNext + 1) % REQUEST_LOG_SIZE;
  }

  /** Recent calls, oldest first, optionally for one account. */
  requests(account?: string): RequestLogEntry[] {
    const ordered = [...this.#log.slice(this.#logNext), ...this.#log.slice(0, this.#logNext)];
    return ordered.filter((e): e is RequestLogEntry => e !== undefined && (account === undefined || e.account === account));
  }
}
