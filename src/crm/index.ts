/**
 * The CRM API client: account-URL policy, transport (pools, limits, SSRF guard), typed client, errors, retries.
 * @module
 */
// The client
export { createCrmClient, type CrmClientOptions } from './client.js';
export type { AccountUrl, AccountUrlCheck, AccountUrlPolicyOptions, AccountUrlRejection, CrmClient, EditResult } from './types.js';
export { crmEndpoints, CRM_RATE_LIMITS, type CrmEndpoint, type CrmEndpointName, type RetryMode } from './endpoints.js';

// Transport and rate limiting
export {
  createCrmTransport,
  type CrmHttpRequest,
  type CrmHttpResponse,
  type CrmLogger,
  type CrmTransport,
  type CrmTransportOptions,
  type HostLookup,
} from './transport.js';
export { createMemoryRateLimiter, processRateLimiter, type RateLimit, type RateLimiter, type RateLimitPermit } from './rate-limiter.js';
export { createRedisRateLimiter, type RedisRateLimiter, type RedisRateLimiterOptions } from './redis-rate-limiter.js';

// Account URLs and addresses
export {
  ACCOUNT_URL_REJECTIONS,
  accountUrlReasonText,
  accountUrlRejectionMessage,
  createAccountUrlPolicy,
  DEFAULT_CRM_DOMAINS,
  defaultAccountUrlPolicy,
  MAX_ACCOUNT_URL_LENGTH,
  parseAccountUrl,
  type AccountUrlPolicy,
} from './account-url.js';
export { checkAddress, isLocalhostName, type AddressCheck } from './address-guard.js';

// Retries
export {
  fourRetriesInAboutFiveSeconds,
  nextDelayMs,
  noRetries,
  parseRetryAfter,
  rapidRetriesForTests,
  retryPolicies,
  tenRetriesInAboutOneMinute,
  type RetryPolicy,
} from './retry.js';

// Errors
export {
  AccessDeniedError,
  AccountAddressBlockedError,
  AccountNotFoundError,
  AccountUrlInvalidError,
  AccountUrlNotAllowedError,
  accountUrlRejectionError,
  ApiKeyInvalidError,
  ApiKeyMissingError,
  CrmApiError,
  CrmError,
  CrmHttpError,
  CrmNoResponseError,
  CrmRejectedError,
  CrmUnavailableError,
  CrmValidationFailedError,
  isRetryableCrmError,
  NetworkError,
  PaymentRequiredError,
  RateLimitedError,
  TimeoutError,
  UnexpectedResponseError,
  type CrmCallError,
  type CrmCallTarget,
} from './errors.js';
