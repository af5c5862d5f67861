/**
 * The connect form's draft (issue 11): once the account and the key pass steps 4.1–4.2, the key is held in the
 * store, sealed, for 15 minutes, bound to this browser (a random, signed, httpOnly cookie of its own; the store
 * keeps only its hash) and used once; each failed submit that still has a checked key gets a fresh draft. The
 * page carries only the draft's id, which is worthless without the cookie.
 * @module
 */
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode, isKitError } from '../errors.js';
import type { ConnectFailure } from '../connect/failure.js';
import type { ConnectionStore } from '../store/types.js';

export const DRAFT_TTL_MS = 15 * 60 * 1000;
const COOKIE = 'rcmk_connect';

/** Failures that happen before the key has been judged, or say nothing about it: no draft for those. */
const KEY_NOT_CHECKED = new Set<ErrorCode>([
  ErrorCode.RateLimited,
  ErrorCode.CrmUnavailable,
  ErrorCode.NetworkError,
  ErrorCode.Timeout,
  ErrorCode.UnexpectedResponse,
  ErrorCode.Internal,
  ErrorCode.ApiKeyMissing,
]);

/** True when the failure came after the account and key passed their checks (4.1–4.2). */
export function keyWasChecked(failure: ConnectFailure): boolean {
  return failure.field !== 'account' && failure.field !== 'apiKey' && !KEY_NOT_CHECKED.has(failure.code);
}

export interface DraftCookieOptions {
  readonly path: string;
  readonly secure: boolean;
}

const hashOf = (value: string) => createHash('sha256').update(value, 'utf8').digest('base64url');

/** The hash binding drafts to this browser, or `undefined` when it has no (valid) draft cookie. */
export function draftBinding(request: FastifyRequest): string | undefined {
  const raw = request.cookies[COOKIE];
  if (!raw) return undefined;
  const unsigned = request.unsignCookie(raw);
  return unsigned.valid && unsigned.value ? hashOf(unsigned.value) : undefined;
}

/** This browser's binding, setting the cookie when it has none yet. */
export function ensureDraftBinding(request: FastifyRequest, reply: FastifyReply, options: DraftCookieOptions): string {
  const existing = draftBinding(request);
  if (existing) return existing;
  const value = randomBytes(32).toString('base64url');
  reply.setCookie(COOKIE, value, {
    signed: true,
    httpOnly: true,
    sameSite: 'lax',
    secure: options.secure,
    path: options.path,
    maxAge: DRAFT_TTL_MS / 1000,
  });
  return hashOf(value);
}

/** Takes the draft named by the form, if this browser may. */
export async function takeFormDraft(store: ConnectionStore, request: FastifyRequest, id: string) {
  if (!id || !store.takeDraft) return undefined;
  try {
    // Without this browser's cookie the take still happens, and fails: a leaked id is burnt, not left to retry.
    return await store.takeDraft(id, draftBinding(request) ?? '');
  } catch (error) {
    // A draft is a convenience: when the store cannot give it, the person types the key again.
    request.log.warn({ code: isKitError(error) ? error.code : 'unknown' }, 'connect draft could not be read');
    return undefined;
  }
}

/** Holds a checked key for this browser; `undefined` when the store keeps no drafts. */
export async function holdKey(
  store: ConnectionStore,
  request: FastifyRequest,
  reply: FastifyReply,
  options: DraftCookieOptions,
  held: { readonly accountUrl: string; readonly apiKey: string; readonly secrets?: Readonly<Record<string, string>> },
): Promise<string | undefined> {
  if (!store.saveDraft) return undefined;
  const bindingHash = ensureDraftBinding(request, reply, options);
  try {
    return await store.saveDraft({ ...held, bindingHash, expiresAt: new Date(Date.now() + DRAFT_TTL_MS) });
  } catch (error) {
    request.log.warn({ code: isKitError(error) ? error.code : 'unknown' }, 'connect draft could not be saved');
    return undefined;
  }
}
