/**
 * API-key extraction and the rights check of the account API, with the CRM's exact error envelopes.
 * @see ../../../shared/PROTOCOL.md §2.2, §2.4, §18
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CrmErrorMsg } from '../protocol/index.js';
import { keyHasRight, type ApiKeyRecord, type Right } from './keys.js';
import type { Account } from './state.js';

function stringField(source: unknown, name: string): string | undefined {
  if (typeof source !== 'object' || source === null) return undefined;
  const value = (source as Record<string, unknown>)[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The key from `X-API-KEY`, else the `apiKey` query or form parameter (the header wins: protocol decision 1). */
export function apiKeyOf(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header !== '') return header;
  return stringField(request.query, 'apiKey') ?? stringField(request.body, 'apiKey');
}

export function sendCrmError(
  reply: FastifyReply,
  status: number,
  errorMsg: string,
  errors?: Record<string, unknown> | unknown[],
): FastifyReply {
  return reply.code(status).send(errors === undefined ? { success: false, errorMsg } : { success: false, errorMsg, errors });
}

/**
 * Checks the key and its right to call the method; on failure answers as the CRM does (403 for every key problem,
 * §18) and returns null.
 */
export function authorize(
  request: FastifyRequest,
  reply: FastifyReply,
  account: Account,
  right: Right | null,
): ApiKeyRecord | null {
  const key = apiKeyOf(request);
  if (key === undefined) {
    sendCrmError(reply, 403, CrmErrorMsg.ApiKeyMissing);
    return null;
  }
  const record = account.keys.get(key);
  if (record === undefined || record.revoked) {
    sendCrmError(reply, 403, CrmErrorMsg.ApiKeyWrong);
    return null;
  }
  if (!keyHasRight(record, right)) {
    sendCrmError(reply, 403, CrmErrorMsg.AccessDenied);
    return null;
  }
  return record;
}
