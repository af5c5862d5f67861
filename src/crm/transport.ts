/**
 * The HTTP transport shared by every CRM client of a process (or of one module instance): connection pools,
 * timeouts, the response size limit, the rate limiter, the account-URL policy, the address guard and logging.
 * Build one with {@link createCrmTransport} and hand it to each `createCrmClient`.
 * @module
 */
import { createHash } from 'node:crypto';
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Agent, buildConnector, request as undiciRequest } from 'undici';
import { ConfigError } from '../errors.js';
import { createBodyWatch, WatchedBody } from './body-watch.js';
import { ALLOW_LOCAL_IN_PRODUCTION, createAccountUrlPolicy, type AccountUrlPolicy } from './account-url.js';
import { checkAddress, isLocalhostName } from './address-guard.js';
import { CRM_RATE_LIMITS, rateBudgetFor } from './endpoints.js';
import { AccountAddressBlockedError, NetworkError, TimeoutError } from './errors.js';
import { parseRetryAfter } from './retry.js';
import { processRateLimiter, type RateLimit, type RateLimiter, type RateLimitPermit } from './rate-limiter.js';
import type { AccountUrl, AccountUrlPolicyOptions } from './types.js';
import type { KitTelemetry } from '../observability/telemetry.js';

/** Resolves a host name to every address it has (the test hook that stands in for DNS). */
export type HostLookup = (hostname: string) => Promise<readonly { readonly address: string; readonly family: number }[]>;

/** The slice of a pino logger the transport uses; pass a pino logger or anything shaped like it. */
export interface CrmLogger {
  debug(object: Record<string, unknown>, message: string): void;
  warn(object: Record<string, unknown>, message: string): void;
}

export interface CrmTransportOptions {
  /** The account-URL policy, or options to build one (default: the vendor's domains, nothing local). */
  readonly accountUrlPolicy?: AccountUrlPolicy | AccountUrlPolicyOptions;
  /** DNS + TCP + TLS, per new connection. Default 5 s. */
  readonly connectTimeoutMs?: number;
  /** One attempt, from sending to the last byte of the answer. Default 15 s. */
  readonly requestTimeoutMs?: number;
  /** Larger answers fail with a NetworkError. Default 2 MiB (a `sites` list of a big account fits easily). */
  readonly maxResponseBytes?: number;
  /** How long an idle pooled connection is kept. Default 10 s. */
  readonly keepAliveTimeoutMs?: number;
  /** Connections per account origin. Default 10: with 10 requests/s allowed, more would only wait. */
  readonly connectionsPerAccount?: number;
  /** The limiter; `false` turns client-side limiting off (benchmarks). Default: {@link processRateLimiter}. */
  readonly rateLimiter?: RateLimiter | false;
  /** Budget per account (default; matches the CRM's per-IP-per-account count) or per API key. */
  readonly rateLimitBy?: 'account' | 'apiKey';
  /** The budgets; default PROTOCOL §18's 10/s and 40/s for telephony. */
  readonly rateLimits?: { readonly default: RateLimit; readonly telephony: RateLimit };
  /** Replaces DNS (tests). It is still called once per connection and its answer still goes through the guard. */
  readonly lookup?: HostLookup;
  /** Each request is logged: method, path, status, duration, attempt outcome. The key never is. */
  readonly logger?: CrmLogger;
  readonly userAgent?: string;
  /** Told of every request (metrics, spans); default none. */
  readonly telemetry?: KitTelemetry | undefined;
}

export interface CrmHttpRequest {
  readonly accountUrl: AccountUrl;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly apiKey: string;
  /** Form fields of a POST (`application/x-www-form-urlencoded`). */
  readonly form?: Readonly<Record<string, string>>;
  /**
   * The call's deadline as a `performance.now()` time: the attempt (rate-limiter wait included) ends by then
   * with a TimeoutError (phase `deadline`).
   */
  readonly deadlineAt?: number;
}

export interface CrmHttpResponse {
  readonly status: number;
  readonly contentType: string;
  readonly retryAfter: string | undefined;
  readonly body: string;
}

export interface CrmTransport {
  readonly policy: AccountUrlPolicy;
  /**
   * Sends one request, after waiting for the rate limiter. Resolves with any HTTP answer (classifying it is the
   * client's job); rejects with NetworkError, TimeoutError or AccountAddressBlockedError when there is none.
   */
  request(request: CrmHttpRequest): Promise<CrmHttpResponse>;
  /** Closes pooled connections; pending requests finish first. */
  close(): Promise<void>;
}

const DEFAULTS = Object.freeze({
  connectTimeoutMs: 5_000,
  requestTimeoutMs: 15_000,
  maxResponseBytes: 2 * 1024 * 1024,
  keepAliveTimeoutMs: 10_000,
  connectionsPerAccount: 10,
});

/** Error codes that mean the request never left: it is safe to send again even when it is not idempotent. */
const BEFORE_SEND_CODES = new Set([
  'ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL',
  'ERR_TLS_CERT_ALTNAME_INVALID', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN', 'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * Builds the transport. Options are checked and normalized here, once (STYLE R5, R11).
 * @example
 * const transport = createCrmTransport({ logger: pino(), accountUrlPolicy: { boxHosts: ['crm.example.com'] } });
 * const crm = createCrmClient({ accountUrl: 'https://demo.retailcrm.ru', apiKey, transport });
 */
export function createCrmTransport(options: CrmTransportOptions = {}): CrmTransport {
  const problems: string[] = [];
  const positive = (name: keyof typeof DEFAULTS): number => {
    const value = options[name] ?? DEFAULTS[name];
    if (!Number.isFinite(value) || value <= 0) problems.push(`${name} must be a positive number`);
    return value;
  };
  const connectTimeoutMs = positive('connectTimeoutMs');
  const requestTimeoutMs = positive('requestTimeoutMs');
  const maxResponseBytes = positive('maxResponseBytes');
  const keepAliveTimeoutMs = positive('keepAliveTimeoutMs');
  const connectionsPerAccount = positive('connectionsPerAccount');
  const rateLimits = options.rateLimits ?? CRM_RATE_LIMITS;
  for (const [name, limit] of Object.entries(rateLimits)) {
    if (!(limit.limit >= 1 && limit.windowMs > 0)) problems.push(`rateLimits.${name} needs limit ≥ 1 and windowMs > 0`);
  }
  let policy: AccountUrlPolicy | undefined;
  try {
    policy = isPolicy(options.accountUrlPolicy) ? options.accountUrlPolicy : createAccountUrlPolicy(options.accountUrlPolicy);
  } catch (error) {
    if (error instanceof ConfigError) problems.push(...error.problems);
    else throw error;
  }
  // A prebuilt policy skipped createAccountUrlPolicy's production check (it may come from a test or another
  // process), so the dev switch is checked again here: it never reaches production either way (STYLE R17).
  if (policy !== undefined && policy.allowLocal && process.env.NODE_ENV === 'production') {
    problems.push(ALLOW_LOCAL_IN_PRODUCTION);
  }
  if (problems.length > 0 || policy === undefined) throw new ConfigError(problems);
  const allowLocal = policy.allowLocal;
  const limiter = options.rateLimiter === false ? undefined : (options.rateLimiter ?? processRateLimiter);
  const rateLimitBy = options.rateLimitBy ?? 'account';
  const lookup: HostLookup = options.lookup ?? ((hostname) => dnsLookup(hostname, { all: true, verbatim: true }));
  const logger = options.logger;
  const userAgent = options.userAgent ?? 'retailcrm-module-kit';
  const telemetry = options.telemetry;

  /**
   * Resolves once, checks every address, and connects to exactly the address it checked: the name is never
   * looked up a second time, so DNS rebinding between check and connect is impossible. TLS still verifies the
   * certificate against the name (undici derives `servername` from `host`, which we leave untouched).
   */
  const baseConnect = buildConnector({ timeout: connectTimeoutMs });
  const guardedConnect: buildConnector.connector = (connectOptions, callback) => {
    resolveChecked(connectOptions.hostname).then(
      (address) => baseConnect({ ...connectOptions, hostname: address }, callback),
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), null),
    );
  };

  async function resolveChecked(hostname: string): Promise<string> {
    const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
    if (isIP(bare) !== 0) {
      // Literal addresses reach here only through the dev switch (`http://127.0.0.1:{port}`); check anyway.
      const check = checkAddress(bare, { allowLoopback: allowLocal });
      if (!check.ok) throw new AccountAddressBlockedError(check.range);
      return check.address;
    }
    if (isLocalhostName(bare)) {
      // RFC 6761: `*.localhost` is loopback, decided here without asking DNS (Node's resolver does not know it).
      if (!allowLocal) throw new AccountAddressBlockedError('loopback');
      return '127.0.0.1';
    }
    let addresses: readonly { readonly address: string }[];
    let timer: NodeJS.Timeout | undefined;
    try {
      addresses = await Promise.race([
        lookup(bare),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(Object.assign(new Error('DNS lookup timed out'), { code: 'UND_ERR_CONNECT_TIMEOUT' })), connectTimeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
    if (addresses.length === 0) throw Object.assign(new Error('no address'), { code: 'ENOTFOUND' });
    // Every address must pass: a name that answers with one public and one private address is refused, since
    // which one a later connection would get is up to the resolver. Names never get the loopback exemption.
    let first: string | undefined;
    for (const { address } of addresses) {
      const check = checkAddress(address);
      if (!check.ok) throw new AccountAddressBlockedError(check.range);
      first ??= check.address;
    }
    return first!;
  }

  const agent = new Agent({
    connect: guardedConnect,
    connections: connectionsPerAccount,
    keepAliveTimeout: keepAliveTimeoutMs,
    headersTimeout: requestTimeoutMs,
    bodyTimeout: requestTimeoutMs,
    maxResponseSize: maxResponseBytes,
  });

  const limiterKey = (request: CrmHttpRequest): string => {
    const budget = rateBudgetFor(request.path);
    const who =
      rateLimitBy === 'apiKey'
        ? `${request.accountUrl}#${createHash('sha256').update(request.apiKey).digest('base64url').slice(0, 22)}`
        : request.accountUrl;
    return `${who}|${budget}`;
  };

  const bodyWatch = createBodyWatch();
  const reuse = createReuseWait();

  /** Budgets shorter than this get a precise timer (see below); longer ones rely on undici's own timeouts. */
  const PRECISE_TIMER_BELOW_MS = 3000;

  async function request(req: CrmHttpRequest): Promise<CrmHttpResponse> {
    const started = performance.now();
    // No AbortSignal on the hot path for long budgets (creating and listening to one per request cost more than
    // the rest of the client, see bench/client.ts). The attempt ends by `until`: the sooner of requestTimeoutMs
    // and the call's deadline, enforced by undici's timeouts and a plain timer on the body.
    const bound = req.deadlineAt !== undefined && req.deadlineAt - started < requestTimeoutMs;
    const until = bound ? (req.deadlineAt as number) : started + requestTimeoutMs;

    let permit: RateLimitPermit | undefined;
    let inFlight: WatchedBody | undefined;
    let precise: AbortController | undefined;
    let preciseTimer: NodeJS.Timeout | undefined;
    let sentAt = started;
    try {
      if (until - performance.now() <= 0) throw timeoutError(req, started, bound);
      if (limiter) {
        const controller = new AbortController();
        const timer = setTimeout(() => controller.abort(), until - performance.now());
        try {
          permit = await limiter.acquire(limiterKey(req), rateLimits[rateBudgetFor(req.path)], controller.signal);
        } catch (error) {
          if (controller.signal.aborted) throw timeoutError(req, started, bound);
          throw error;
        } finally {
          clearTimeout(timer);
        }
        if (telemetry) sentAt = performance.now();
      }
      const headers: Record<string, string> = {
        'x-api-key': req.apiKey,
        accept: 'application/json',
        'user-agent': userAgent,
      };
      let body: string | undefined;
      if (req.form !== undefined) {
        headers['content-type'] = 'application/x-www-form-urlencoded; charset=utf-8';
        body = new URLSearchParams(req.form as Record<string, string>).toString();
      }
      const budget = Math.max(1, Math.ceil(until - performance.now()));
      // undici's header and body timeouts tick about every half second: fine for a long budget, too coarse for
      // a short deadline (a 300 ms deadline fired after ~1 s). Below a few seconds a precise timer aborts instead.
      if (budget < PRECISE_TIMER_BELOW_MS) {
        precise = new AbortController();
        const controller = precise;
        preciseTimer = setTimeout(() => controller.abort(), budget);
      }
      // Rounded up to whole seconds (undici's own resolution): a parser keeps its timer when the value repeats,
      // and re-creates it when it changes, which every call's slightly different remainder would otherwise cause.
      // The agent's own timeouts are requestTimeoutMs, so a full budget needs no per-request options.
      const coarse = Math.ceil(budget / 1000) * 1000;
      const options: NonNullable<Parameters<typeof undiciRequest>[1]> = {
        dispatcher: agent,
        method: req.method,
        headers,
        body,
      };
      if (coarse < requestTimeoutMs) {
        options.headersTimeout = coarse;
        options.bodyTimeout = coarse;
      }
      if (precise) options.signal = precise.signal;
      const reuseWait = reuse.before(req.accountUrl);
      if (reuseWait) await reuseWait;
      const response = await undiciRequest(`${req.accountUrl}${req.path}`, options);
      // undici's body timeout is per chunk; a body trickling in must still end by `until`. A short budget is
      // already covered by the precise signal; a long one by the shared sweeper (no timer per request).
      if (!precise) {
        inFlight = new WatchedBody(until, response.body);
        bodyWatch.add(inFlight);
      }
      const text = await response.body.text();
      reuse.ended(req.accountUrl);
      const contentType = headerValue(response.headers['content-type']) ?? '';
      const result: CrmHttpResponse = {
        status: response.statusCode,
        contentType,
        retryAfter: headerValue(response.headers['retry-after']),
        body: text,
      };
      // The CRM's own limit was hit despite ours (another client of the account, a shorter budget than assumed):
      // a shared limiter pauses the account for the whole fleet, one window unless the CRM said how long.
      if ((result.status === 503 || result.status === 429) && limiter?.backOff) {
        const pauseMs = parseRetryAfter(result.retryAfter) ?? rateLimits[rateBudgetFor(req.path)].windowMs;
        await Promise.resolve(limiter.backOff(limiterKey(req), pauseMs)).catch(() => undefined);
      }
      logger?.debug(
        { crm: { method: req.method, path: withoutQuery(req.path), account: req.accountUrl, status: result.status, durationMs: ms(started) } },
        'crm request',
      );
      telemetry?.crmCallFinished({ method: req.method, path: req.path, accountUrl: req.accountUrl, status: result.status, startedAt: started, waitedMs: sentAt - started });
      return result;
    } catch (error) {
      const failure =
        inFlight?.timedOut || precise?.signal.aborted
          ? timeoutError(req, started, bound)
          : toTransportError(error, { method: req.method, path: withoutQuery(req.path) }, () => timeoutError(req, started, bound));
      logger?.warn(
        { crm: { method: req.method, path: withoutQuery(req.path), account: req.accountUrl, error: failure.code, durationMs: ms(started) } },
        'crm request failed',
      );
      telemetry?.crmCallFinished({ method: req.method, path: req.path, accountUrl: req.accountUrl, error: failure.code, startedAt: started, waitedMs: sentAt - started });
      throw failure;
    } finally {
      if (inFlight) bodyWatch.delete(inFlight);
      clearTimeout(preciseTimer);
      permit?.release();
    }
  }

  return Object.freeze({
    policy,
    request,
    close: () => {
      bodyWatch.stop();
      return agent.close();
    },
  });
}

function toTransportError(
  error: unknown,
  target: { method: string; path: string },
  timedOut: () => TimeoutError,
): AccountAddressBlockedError | TimeoutError | NetworkError {
  if (error instanceof AccountAddressBlockedError || error instanceof TimeoutError || error instanceof NetworkError) return error;
  const code = errorCode(error);
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return new TimeoutError({ ...target, phase: 'connect', afterMs: 0, cause: error });
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return timedOut();
  const reason =
    code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE' ? 'response too large' : code !== undefined ? code.toLowerCase() : 'connection failed';
  return new NetworkError({ ...target, reason, beforeSend: code !== undefined && BEFORE_SEND_CODES.has(code), cause: error });
}

function errorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth += 1) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR') return code;
  }
  return undefined;
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function ms(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}

function isPolicy(value: AccountUrlPolicy | AccountUrlPolicyOptions | undefined): value is AccountUrlPolicy {
  return value !== undefined && (value as AccountUrlPolicy).allowedDomains instanceof Set;
}

/** Built only when an attempt ran out of time: no closure is made per request for it. */
function timeoutError(req: CrmHttpRequest, started: number, bound: boolean): TimeoutError {
  return new TimeoutError({ method: req.method, path: withoutQuery(req.path), phase: bound ? 'deadline' : 'request', afterMs: Math.round(performance.now() - started) });
}

/** Log lines and errors name the method's path, not its query: filters may carry a customer's e-mail or phone. */
function withoutQuery(path: string): string {
  const q = path.indexOf('?');
  return q === -1 ? path : path.slice(0, q);
}

/**
 * Keeps sequential calls to an account on one connection. undici hands a keep-alive socket to its next request
 * only one turn of the event loop after a response ended (it checks first that the server did not close it), and a
 * request sent before that makes the pool open another connection: the connect's second call (credentials, right
 * after api-versions) paid a second TCP and TLS handshake to every account. A call to an origin whose response
 * ended in this turn waits for the next check phase, by which undici has freed the socket; other calls wait for
 * nothing. One immediate per turn clears the marks.
 */
function createReuseWait() {
  const endedThisTurn = new Set<string>();
  let clearing = false;
  const clear = () => {
    endedThisTurn.clear();
    clearing = false;
  };
  return {
    ended(origin: string): void {
      endedThisTurn.add(origin);
      if (!clearing) {
        clearing = true;
        setImmediate(clear);
      }
    },
    before(origin: string): Promise<void> | undefined {
      return endedThisTurn.size !== 0 && endedThisTurn.has(origin) ? new Promise((resolve) => setImmediate(resolve)) : undefined;
    },
  };
}
