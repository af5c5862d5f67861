/**
 * The simple connection (PROTOCOL §13), module side, with no HTTP inside: the config the CRM fetches, the register
 * request it sends when the person clicks Connect, and the login ticket that opens the settings page afterwards.
 *
 * Register, in order (each refusal writes nothing except the replay claim):
 * 1. parse the `register` form field (400);
 * 2. verify `token` = HMAC-SHA256(secret, apiKey) in constant time (401);
 * 3. claim the request once, in the store, as a keyed hash (a replay → 400);
 * 4. the account-URL policy on `systemUrl` (400);
 * 5. `establishConnection` with deferred settings: the very code path of the connect form (400 with its message);
 * 6. answer the settings page's URL with a single-use login ticket.
 * @see ../../docs/simple-connection.md
 * @module
 */
import { createHmac } from 'node:crypto';
import { ConfigError, ErrorCode } from '../errors.js';
import { errorMessage, type Locale } from '../i18n/index.js';
import { RegisterForm, simpleConnectionToken } from '../protocol/index.js';
import { safeEqual } from '../store/seal.js';
import type { Connection } from '../store/types.js';
import { accountUrlFailure, establishConnection } from './connect-account.js';
import { type ConnectKit, findOwnById } from './kit.js';
import { deriveKey, issueLoginTicket, verifyLoginTicket } from './login-ticket.js';

/** How long a ticket's claim outlives the ticket, covering clock skew between instances. */
const CLAIM_MARGIN_MS = 15 * 60 * 1000;

/** `GET configUrl`'s answer (PROTOCOL §13.3). */
export interface SimpleConfigReply {
  readonly success: true;
  readonly scopes: readonly string[];
  readonly registerUrl: string;
}

export type RegisterOutcome =
  | {
      readonly ok: true;
      readonly status: 200;
      readonly body: { readonly success: true; readonly accountUrl: string };
      readonly connection: Connection;
    }
  | {
      readonly ok: false;
      readonly status: 400 | 401;
      readonly code: ErrorCode;
      /** English, safe to show: the CRM shows it to the person. */
      readonly body: { readonly success: false; readonly errorMsg: string };
    };

export type TicketRedemption =
  | { readonly ok: true; readonly connection: Connection }
  | { readonly ok: false; readonly reason: 'malformed' | 'mismatch' | 'expired' | 'replayed' | 'unknown' };

/** What the simple connection needs beyond the connect kit, resolved once (STYLE R5). */
export interface SimpleConnection {
  config(): SimpleConfigReply;
  register(form: unknown, locale?: Locale): Promise<RegisterOutcome>;
  /** Exchanges a login ticket for its connection, once. */
  redeemTicket(ticket: string): Promise<TicketRedemption>;
}

export interface SimpleConnectionOptions {
  /** Clock for tickets; default `() => new Date()`. */
  readonly now?: () => Date;
}

/** Builds the simple connection for a kit whose module has a secret and whose store can claim once. */
export function createSimpleConnection(kit: ConnectKit, options: SimpleConnectionOptions = {}): SimpleConnection {
  const { module, store } = kit;
  const problems: string[] = [];
  if (!module.simpleConnection) problems.push('the module has no simpleConnection.secret');
  if (typeof store.claimOnce !== 'function')
    problems.push('the store does not implement claimOnce, which replay protection and login tickets need');
  if (problems.length > 0) throw new ConfigError(problems.map((p) => `simple connection: ${p}`));
  const secret = (module.simpleConnection as { secret: string }).secret;
  const claimOnce = (store.claimOnce as NonNullable<typeof store.claimOnce>).bind(store);
  const now = options.now ?? (() => new Date());
  const ticketKey = deriveKey(secret, 'login-ticket');
  const registerClaimKey = deriveKey(secret, 'register-claim');
  const ticketClaimKey = deriveKey(secret, 'ticket-claim');
  const settingsUrl = `${module.baseUrl}${module.paths.settings}`;
  const config: SimpleConfigReply = Object.freeze({
    success: true,
    scopes: Object.freeze([...module.scopes]),
    registerUrl: `${module.baseUrl}${module.paths.simpleRegister}`,
  });

  const refuse = (status: 400 | 401, code: ErrorCode, errorMsg: string): RegisterOutcome => ({
    ok: false,
    status,
    code,
    body: { success: false, errorMsg },
  });

  return Object.freeze({
    config: () => config,

    async register(form: unknown, locale: Locale = 'en'): Promise<RegisterOutcome> {
      const parsed = RegisterForm.safeParse(form);
      if (!parsed.success)
        return refuse(400, ErrorCode.FormInvalid, 'Invalid request data: the "register" field must be JSON with systemUrl, apiKey and token');
      const { systemUrl, apiKey, token } = parsed.data.register;
      if (!safeEqual(simpleConnectionToken(secret, apiKey), token)) {
        kit.logger.warn({ code: ErrorCode.TokenInvalid }, 'simple connection: register request with an invalid token');
        return refuse(401, ErrorCode.TokenInvalid, 'Invalid token');
      }
      // Keyed hash of the request: the raw key never reaches the store, and the claim is worthless without the secret.
      const claim = `register:${createHmac('sha256', registerClaimKey).update(`${apiKey}\n${token}`).digest('base64url')}`;
      if (!(await claimOnce(claim))) {
        kit.logger.warn({ code: ErrorCode.RequestReplayed }, 'simple connection: register request replayed');
        return refuse(400, ErrorCode.RequestReplayed, errorMessage('en', ErrorCode.RequestReplayed));
      }
      const account = kit.checkAccountUrl(systemUrl);
      if (!account.ok) {
        const failure = accountUrlFailure(account, locale);
        return refuse(400, failure.code, failure.message);
      }
      const result = await establishConnection(kit, { accountUrl: account.url, apiKey, settings: undefined, locale });
      if (!result.ok) return refuse(400, result.failure.code, result.failure.message);
      const ticket = issueLoginTicket(ticketKey, result.connection.id, now());
      kit.logger.info(
        { connectionId: result.connection.id, state: result.connection.state },
        'simple connection: registered; the CRM sends the person to the settings page',
      );
      return {
        ok: true,
        status: 200,
        body: { success: true, accountUrl: `${settingsUrl}?ticket=${encodeURIComponent(ticket)}` },
        connection: result.connection,
      };
    },

    async redeemTicket(ticket: string): Promise<TicketRedemption> {
      const check = verifyLoginTicket(ticketKey, ticket, now());
      if (!check.ok) return check;
      const claim = `ticket:${createHmac('sha256', ticketClaimKey).update(check.nonce).digest('base64url')}`;
      // Kept well past expiry (clock skew between instances): after that the ticket is refused for its age first.
      if (!(await claimOnce(claim, new Date(check.expiresAt.getTime() + CLAIM_MARGIN_MS)))) return { ok: false, reason: 'replayed' };
      const connection = await findOwnById(kit, check.connectionId);
      return connection ? { ok: true, connection } : { ok: false, reason: 'unknown' };
    },
  });
}

