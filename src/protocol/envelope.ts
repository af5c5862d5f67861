/**
 * The CRM's response envelope and the exact `errorMsg` strings clients recognise.
 * @see ../../../shared/PROTOCOL.md §2.4, §18
 */
import { z } from 'zod';

/** `errorMsg` texts the CRM is known to send; clients classify errors by these, not by HTTP status. */
export const CrmErrorMsg = {
  ApiKeyMissing: '"apiKey" is missing.',
  ApiKeyWrong: 'Wrong "apiKey" value.',
  AccessDenied: 'Access denied.',
  AccountNotFound: 'Account does not exist.',
  EntityFormat: 'Errors in the entity format',
  ValidationError: 'Validation error',
  InputParameters: 'Errors in the input parameters',
  NotFound: 'Not found',
  ModuleActivationFailed: 'Failed to activate module',
  Forbidden: 'Forbidden',
  ServiceOverloaded: 'Service overloaded.',
  ApplicationError: 'Application error',
} as const;
export type CrmErrorMsg = (typeof CrmErrorMsg)[keyof typeof CrmErrorMsg];

/** `Parameter 'X' is missing` has a variable part. */
export const missingParameterMsg = (name: string): string => `Parameter '${name}' is missing`;
export const MISSING_PARAMETER_PATTERN = /^Parameter '(.+)' is missing$/;

/** `errors` is either keyed by field or a plain list (PROTOCOL §2.4). */
export const CrmErrorDetails = z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())]);
export type CrmErrorDetails = z.infer<typeof CrmErrorDetails>;

export const ErrorEnvelope = z.looseObject({
  success: z.literal(false),
  errorMsg: z.string().optional(),
  errors: CrmErrorDetails.optional(),
});
export type ErrorEnvelope = z.infer<typeof ErrorEnvelope>;

/** Builds a success schema: `{ success: true, ...shape }`, tolerant of fields we do not know yet. */
export function successEnvelope<T extends z.ZodRawShape>(shape: T) {
  return z.looseObject({ success: z.literal(true), ...shape });
}
