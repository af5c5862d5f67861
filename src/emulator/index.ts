/**
 * The CRM emulator: the system side of the connection flow, runnable on one machine with no network.
 * @example
 * const crm = await startEmulator({ port: 0 });
 * const { apiKey } = crm.createAccount({ name: 'demo' });
 * // Node clients connect to 127.0.0.1 and send `Host: demo.localhost:{port}`; Chromium resolves the name itself.
 * await crm.close();
 * @see ../../docs/emulator.md
 * @module
 */
// First, so a project on zod 3 is told so before any schema is built.
import '../zod-version.js';
import type { AddressInfo } from 'node:net';
import type { EmulatorControl } from './control.js';
import { resolveEmulatorOptions, type EmulatorOptions } from './options.js';
import { buildEmulatorApp } from './server.js';
import { ConfigError } from '../errors.js';
import { EmulatorRequestError } from './errors.js';

export interface EmulatorHandle extends Omit<EmulatorControl, 'account'> {
  /** The port actually listened on. */
  readonly port: number;
  /** `http://127.0.0.1:{port}`: the control API lives under `/_emulator/`. */
  readonly controlUrl: string;
  /** `http://{name}.localhost:{port}` (no trailing slash). */
  accountUrl(name: string): string;
  /** `http://{name}.localhost:{port}/admin/marketplace`. */
  marketplaceUrl(name: string): string;
  /** Stops listening, drops open connections and the callback sender's pool. */
  close(): Promise<void>;
}

export async function startEmulator(input: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const options = resolveEmulatorOptions(input);
  let port = options.port;
  const accountUrl = (name: string) => `http://${name}.localhost:${port}`;
  const { app, control } = buildEmulatorApp(options, accountUrl);
  await app.listen({ port: options.port, host: options.host });
  port = (app.server.address() as AddressInfo).port;
  try {
    for (const [name, data] of Object.entries(options.seed)) {
      try {
        control.account(name);
      } catch {
        control.createAccount({ name });
      }
      control.seed(name, data);
    }
  } catch (error) {
    await app.close();
    throw error instanceof EmulatorRequestError ? new ConfigError(error.problems.map((p) => `seed: ${p}`)) : error;
  }
  const controlHost = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
  const { account: _account, ...methods } = control;
  let closing: Promise<void> | undefined;
  return Object.freeze({
    ...methods,
    port,
    controlUrl: `http://${controlHost.includes(':') ? `[${controlHost}]` : controlHost}:${port}`,
    accountUrl,
    marketplaceUrl: (name: string) => `${accountUrl(name)}/admin/marketplace`,
    close: () => (closing ??= app.close()),
  });
}

export { resolveEmulatorOptions, type EmulatorOptions, type ResolvedEmulatorOptions } from './options.js';
export type { EmulatorControl, CreatedAccount } from './control.js';
export type { ActivityDelivery, MarketplaceListing, RequestLogEntry } from './state.js';
export type { SimpleConnectOutcome } from './simple-connect.js';
export type { RateLimitOptions, RateLimitBy } from './rate-limit.js';
export type { FaultRule } from './faults.js';
export type { CallbackInput, CallbackOutcome, ResourceControl, SeedInput } from './resource-control.js';
export type { DeliveryOutcome, IntegrationControl, InvoiceOutcome, PrintOutcome } from './integration-control.js';
export type { OrderDelivery, StoredInvoice } from './integration-data.js';
export type { SentNotification, StoredCustomer, StoredOrder } from './crm-data.js';
export type {
  ActivityInput,
  CreateAccountInput,
  CreateApiKeyInput,
  FaultInput,
  MarketplaceListingInput,
} from './control-schemas.js';
export { EmulatorConflictError, EmulatorNotFoundError, EmulatorRequestError } from './errors.js';
export { maskApiKey } from './keys.js';
