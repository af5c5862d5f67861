/**
 * Errors of the emulator's control API (HTTP `/_emulator/*` and the handle's methods alike).
 * The CRM API itself never throws these: it answers with the CRM's own error envelope.
 * @module
 */
import { ErrorCode, KitError } from '../errors.js';

/** Input to a control call was malformed; `problems` lists every issue found. */
export class EmulatorRequestError extends KitError {
  readonly code = ErrorCode.EmulatorRequestInvalid;
  readonly statusCode = 400;
  constructor(readonly problems: readonly string[]) {
    super(`Invalid emulator request: ${problems.join('; ')}`, { params: { details: problems.join('; ') } });
  }
}

/** An account, API key, module or fault named in a control call does not exist. */
export class EmulatorNotFoundError extends KitError {
  readonly code = ErrorCode.EmulatorNotFound;
  readonly statusCode = 404;
  constructor(what: string, name: string) {
    super(`No such ${what}: ${name}`, { params: { what, name } });
  }
}

/** A control call would create something that already exists (e.g. an account name). */
export class EmulatorConflictError extends KitError {
  readonly code = ErrorCode.EmulatorConflict;
  readonly statusCode = 409;
  constructor(what: string, name: string) {
    super(`This ${what} already exists: ${name}`, { params: { what, name } });
  }
}

export type EmulatorControlError = EmulatorRequestError | EmulatorNotFoundError | EmulatorConflictError;

export function isEmulatorControlError(error: unknown): error is EmulatorControlError {
  return (
    error instanceof EmulatorRequestError || error instanceof EmulatorNotFoundError || error instanceof EmulatorConflictError
  );
}
