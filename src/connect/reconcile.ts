/**
 * Learning what the CRM holds after `edit` failed in a way that does not say whether the CRM stored it (no answer,
 * a timeout, a 5xx, a body that is not the CRM's), and bringing the store in line with it (issue 14, items 1–2).
 *
 * The rules (docs/connect-flow.md, "When the answer to edit is lost"):
 * - what an attempt wants the CRM to hold is staged first (`stageConnect`, `ConnectionPatch.stage`); the live key
 *   and settings stay what the CRM last accepted;
 * - after an ambiguous failure the registration is read back (`GET integration-modules/{code}`): when it carries
 *   the connection's clientId and what the attempt sent, the attempt succeeded and the stage is committed; when
 *   it does not, the attempt failed and the stage is dropped; when the read fails too, the stage stays, the person
 *   hears that the outcome is unknown, and the next attempt or the reconciler decides;
 * - `onConnected({ created: true })` runs when a connection completes for the first time (`connectedAt` is
 *   `null`), whichever of these paths completes it, and `connectedAt` is set once it returned.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { ErrorCode, KitError } from '../errors.js';
import {
  CrmUnavailableError,
  NetworkError,
  RateLimitedError,
  TimeoutError,
  UnexpectedResponseError,
} from '../crm/errors.js';
import type { AccountUrl, CrmClient } from '../crm/types.js';
import type { Activity, IntegrationModule, IntegrationModuleEdit } from '../protocol/index.js';
import type { Connection, ConnectionPatch, NewEvent } from '../store/types.js';
import { accountKey, registrationLock } from './account-lock.js';
import type { ConnectKit } from './kit.js';
import { registrationPayload } from './registration.js';
import { settingsComplete } from './required-settings.js';
import { stateFromActivity } from './state.js';
import { updateConnection } from './update-connection.js';

/** Another attempt staged its own registration while this one was on the wire: this one does not commit. */
export class StageSupersededError extends KitError {
  readonly code = ErrorCode.StoreConflict;
  constructor() {
    super('Another connection attempt for this account replaced this one; try again');
  }
}

/** The outcome is unknown: `edit` failed ambiguously and the registration could not be read back. */
export class RegistrationUnconfirmedError extends KitError {
  readonly code = ErrorCode.RegistrationUnconfirmed;
  constructor(options: { cause: unknown }) {
    super('The CRM did not confirm the registration and it could not be read back', options);
  }
}

/** A new stage token. */
export const newStageId = (): string => randomUUID();

/** True for failures after which the CRM may or may not have stored the registration. */
export function isAmbiguous(error: unknown): boolean {
  if (error instanceof NetworkError) return !error.beforeSend;
  return (
    error instanceof TimeoutError ||
    error instanceof CrmUnavailableError ||
    error instanceof UnexpectedResponseError ||
    error instanceof RateLimitedError
  );
}

function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/**
 * True when the registration the CRM holds is the one `sent`: the same clientId, and the same value of each field
 * the module controls and sent (baseUrl, accountUrl, actions, integrations), and of `active` unless told to ignore
 * it. The display name (the language of whoever saved last) and fields the CRM adds are not compared.
 */
export function registrationMatches(held: IntegrationModule, sent: IntegrationModuleEdit, options: { ignoreActive?: boolean } = {}): boolean {
  if (held.clientId !== sent.clientId) return false;
  if (!options.ignoreActive && (sent.active ?? true) !== held.active) return false;
  for (const key of ['baseUrl', 'accountUrl', 'actions', 'integrations'] as const) {
    if (sent[key] === undefined) continue;
    if (stableJson(sent[key]) !== stableJson(held[key])) return false;
  }
  return true;
}

export type ReadBack = { readonly found: 'applied'; readonly activity: Activity } | { readonly found: 'absent' } | { readonly found: 'unknown'; readonly error: unknown };

/** Reads the registration back and says whether it is `sent`. */
export async function readBack(crm: CrmClient, sent: IntegrationModuleEdit, options: { ignoreActive?: boolean } = {}): Promise<ReadBack> {
  try {
    const held = await crm.findIntegrationModule(sent.code);
    if (held && registrationMatches(held, sent, options)) return { found: 'applied', activity: { active: held.active, freeze: held.freeze } };
    return { found: 'absent' };
  } catch (error) {
    return { found: 'unknown', error };
  }
}

export type SendOutcome =
  | { readonly ok: true; readonly activity: Activity | undefined; readonly readBack: boolean }
  | { readonly ok: false; readonly error: unknown; readonly unconfirmed: boolean };

/**
 * `edit`, and on an ambiguous failure the read-back that decides it. `activity` is the CRM's flags when the
 * read-back saw them (after a plain success only `active` as sent is known).
 */
export async function sendRegistration(kit: ConnectKit, crm: CrmClient, payload: IntegrationModuleEdit): Promise<SendOutcome> {
  try {
    await crm.editIntegrationModule(payload);
    return { ok: true, activity: undefined, readBack: false };
  } catch (error) {
    if (!isAmbiguous(error)) return { ok: false, error, unconfirmed: false };
    const truth = await readBack(crm, payload);
    kit.logger.warn({ code: (error as KitError).code, found: truth.found }, 'edit failed without a clear answer; read the registration back');
    if (truth.found === 'applied') return { ok: true, activity: truth.activity, readBack: true };
    // After an answer (a 5xx, a body that is not the CRM's) the CRM is done with the request: absent means it did
    // not store it. Without an answer (a timeout, a reset) the request may still be on its way or queued there, and
    // land after the read: absent proves nothing yet, and the stage waits for the next attempt or the reconciler.
    if (truth.found === 'absent' && !(error instanceof TimeoutError || error instanceof NetworkError)) return { ok: false, error, unconfirmed: false };
    return { ok: false, error: new RegistrationUnconfirmedError({ cause: error }), unconfirmed: true };
  }
}

/**
 * Applies the stage `stageId` to the live fields (the CRM accepted it). `complete` connections take the CRM's
 * flags; a first connection stays `pending` until `completeConnection` ran its hook. Throws
 * {@link StageSupersededError} when another attempt's stage replaced this one.
 */
export async function commitStage(
  kit: ConnectKit,
  connection: Connection,
  stageId: string,
  options: {
    readonly complete: boolean;
    readonly activity: Activity | undefined;
    readonly active: boolean;
    /** Logged instead of `connected` / `reconnected`. */
    readonly event?: NewEvent;
  },
): Promise<Connection> {
  return updateConnection(kit.store, connection, (current) => {
    const stage = current.staged;
    if (stage?.id !== stageId) throw new StageSupersededError();
    const first = current.connectedAt === null;
    const flags: Activity = options.activity ?? { active: options.active, freeze: current.freeze };
    const keyChanged = stage.apiKey !== current.apiKey;
    // A first connection keeps its stage until `completeConnection` ran the hook and recorded it: if the process
    // dies in between, the stage is what tells the reconciler (or the next attempt) that it is not complete yet.
    const completing = options.complete && first;
    const patch: ConnectionPatch = {
      ...(keyChanged ? { apiKey: stage.apiKey } : {}),
      settings: stage.settings,
      apiVersion: stage.apiVersion,
      scopes: stage.scopes,
      ...(completing ? {} : { stage: null }),
      active: flags.active,
      freeze: flags.freeze,
      state: options.complete && !first ? stateFromActivity(flags) : 'pending',
    };
    const event: NewEvent = options.event ?? (first
      ? { type: 'connected', details: { moduleCode: current.moduleCode, accountUrl: current.accountUrl, apiVersion: stage.apiVersion, scopes: stage.scopes } }
      : { type: 'reconnected', details: { keyChanged, apiVersion: stage.apiVersion, scopes: stage.scopes } });
    return { patch, events: [event] };
  });
}

/** Drops the stage `stageId` if it is still there (the CRM did not take it), logging why. */
export async function dropStage(kit: ConnectKit, connection: Connection, stageId: string, code: string): Promise<void> {
  try {
    await updateConnection(kit.store, connection, (current) =>
      current.staged?.id === stageId ? { patch: { stage: null }, events: [{ type: 'registration_failed', details: { code } }] } : undefined,
    );
  } catch (error) {
    kit.logger.error({ err: error, connectionId: connection.id }, 'could not drop a failed registration attempt');
  }
}

/** Records that the outcome of stage `stageId` is unknown; the stage stays for the next attempt or the reconciler. */
export async function recordUnconfirmed(kit: ConnectKit, connection: Connection, code: string): Promise<void> {
  try {
    await kit.store.appendEvent(connection.id, { type: 'registration_failed', details: { code, unconfirmed: true } });
  } catch (error) {
    kit.logger.error({ err: error, connectionId: connection.id }, 'could not record an unconfirmed registration');
  }
}

/**
 * After a committed registration of a complete connection: runs `onConnected` with `created` = never completed
 * before, then marks the connection completed (`connectedAt`), takes the CRM's state and drops the stage
 * `stageId` that a first connection keeps until now. When the hook throws the connection is `pending` (the next
 * attempt runs it again, still `created: true` on a first connection), the stage is dropped (the person was told)
 * and the error is rethrown. A process that dies inside leaves the stage, and the reconciler completes it.
 */
export async function completeConnection(kit: ConnectKit, connection: Connection, crm: CrmClient, stageId?: string): Promise<Connection> {
  const created = connection.connectedAt === null;
  const hook = kit.module.hooks.onConnected;
  const ours = (current: Connection) => stageId !== undefined && current.staged?.id === stageId;
  if (hook) {
    try {
      await hook({ connection, crm, created });
    } catch (error) {
      await updateConnection(kit.store, connection, (current) =>
        current.state === 'pending' && !ours(current) ? undefined : { patch: { state: 'pending', ...(ours(current) ? { stage: null } : {}) } },
      );
      throw error;
    }
  }
  return updateConnection(kit.store, connection, (current) => {
    const state = current.state === 'disconnected' ? current.state : stateFromActivity({ active: current.active, freeze: current.freeze });
    const patch: ConnectionPatch = {
      ...(current.connectedAt === null ? { connectedAt: new Date() } : {}),
      ...(ours(current) ? { stage: null } : {}),
      state,
    };
    return current.connectedAt !== null && current.state === state && !ours(current) ? undefined : { patch };
  });
}

export type Reconciliation = 'none' | 'committed' | 'dropped' | 'unknown' | 'superseded';

/**
 * Decides a connection's stage by reading the registration back: commits it (and completes the connection) when
 * the CRM holds it, drops it when the CRM does not, leaves it when the CRM does not answer. Takes the account's
 * registration lock and re-reads the connection first. `active` is not compared (a stage does not record which
 * `active` its attempt sent; the CRM's flags are taken as they are).
 */
export async function reconcileConnection(kit: ConnectKit, connection: Connection): Promise<Reconciliation> {
  return registrationLock(kit.store).run(accountKey(kit.module.code, connection.accountUrl), async () => {
    const current = await kit.store.findById(connection.id);
    const stage = current?.staged;
    if (!current || !stage) return 'none';
    const crm = kit.openCrm(current.accountUrl as AccountUrl, stage.apiKey);
    const payload = registrationPayload(kit.module, { clientId: current.clientId, settings: stage.settings }, { locale: 'en' });
    const truth = await readBack(crm, payload, { ignoreActive: true });
    if (truth.found === 'unknown') {
      kit.logger.warn({ connectionId: current.id, err: truth.error }, 'reconcile: the CRM did not answer; the stage stays');
      return 'unknown';
    }
    if (truth.found === 'absent') {
      await dropStage(kit, current, stage.id, ErrorCode.RegistrationUnconfirmed);
      kit.logger.info({ connectionId: current.id }, 'reconcile: the CRM does not hold the staged registration; dropped');
      return 'dropped';
    }
    const complete = settingsComplete(kit.module, stage.settings);
    let committed: Connection;
    try {
      committed = await commitStage(kit, current, stage.id, { complete, activity: truth.activity, active: truth.activity.active });
    } catch (error) {
      if (error instanceof StageSupersededError) return 'superseded';
      throw error;
    }
    kit.logger.info({ connectionId: current.id }, 'reconcile: the CRM holds the staged registration; committed');
    if (complete && committed.state !== 'disconnected') {
      try {
        await completeConnection(kit, committed, kit.openCrm(committed.accountUrl as AccountUrl, committed.apiKey), stage.id);
      } catch (error) {
        kit.logger.error({ err: error, connectionId: committed.id }, 'reconcile: onConnected failed; the connection stays pending');
      }
    }
    return 'committed';
  });
}

export interface ReconcilerOptions {
  /** Stages younger than this may still be on the wire in another instance; default 60 s. */
  readonly olderThanMs?: number;
  /** Connections looked at per pass; default 100. */
  readonly batch?: number;
  readonly now?: () => Date;
}

/** One pass over stages older than `olderThanMs`: what a crash (or a lost answer nobody retried) left behind. */
export async function reconcileStaged(kit: ConnectKit, options: ReconcilerOptions = {}): Promise<Record<Reconciliation, number>> {
  const now = options.now ?? (() => new Date());
  const before = new Date(now().getTime() - (options.olderThanMs ?? 60_000));
  const counts: Record<Reconciliation, number> = { none: 0, committed: 0, dropped: 0, unknown: 0, superseded: 0 };
  const staged = await kit.store.listStaged(before, options.batch ?? 100);
  for (const connection of staged) {
    if (connection.moduleCode !== kit.module.code) continue;
    try {
      counts[await reconcileConnection(kit, connection)] += 1;
    } catch (error) {
      counts.unknown += 1;
      kit.logger.error({ err: error, connectionId: connection.id }, 'reconcile failed');
    }
  }
  return counts;
}

/** Runs {@link reconcileStaged} now and then every `intervalMs` (default 60 s) until stopped. The timer is unref'd. */
export function startReconciler(kit: ConnectKit, options: ReconcilerOptions & { readonly intervalMs?: number; readonly firstAfterMs?: number } = {}): { stop(): Promise<void> } {
  let running: Promise<unknown> | undefined;
  let stopped = false;
  const pass = () => {
    if (stopped || running) return;
    running = reconcileStaged(kit, options)
      .catch((error: unknown) => kit.logger.error({ err: error }, 'reconcile pass failed'))
      .finally(() => {
        running = undefined;
      });
  };
  const first = setTimeout(pass, options.firstAfterMs ?? 1_000);
  const timer = setInterval(pass, options.intervalMs ?? 60_000);
  first.unref();
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}
