/**
 * What the CRM sends to a module: the activity callback and the simple-connection calls.
 * @see ../../../shared/PROTOCOL.md §11.1, §13
 */
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { successEnvelope } from './envelope.js';

/** The JSON inside the activity callback's `activity` form field. */
export const Activity = z.object({ active: z.boolean(), freeze: z.boolean() });
export type Activity = z.infer<typeof Activity>;

/** Parses a form field that carries JSON; an unparseable string becomes a zod issue, never a throw. */
export function jsonField<T extends z.ZodType>(schema: T) {
  return z.string().transform((text, ctx): z.output<T> => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON string' });
      return z.NEVER;
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, code: 'custom', message: issue.message });
      return z.NEVER;
    }
    return parsed.data;
  });
}

/** Form fields of `POST {baseUrl}{actions.activity}` (PROTOCOL §11.1). `systemUrl` may be absent or empty. */
export const ActivityCallbackForm = z.object({
  clientId: z.string().min(1),
  activity: jsonField(Activity),
  systemUrl: z.string().optional(),
});
export type ActivityCallbackForm = z.infer<typeof ActivityCallbackForm>;

/** The module's reply to callbacks. */
export const CallbackReply = z.union([
  z.looseObject({ success: z.literal(true) }),
  z.looseObject({ success: z.literal(false), errorMsg: z.string().optional() }),
]);

/** "Enabled" as every vendor module reads it: switched on and not frozen (PROTOCOL §11.1). */
export const isEnabled = (activity: Activity): boolean => activity.active && !activity.freeze;

/** Simple connection: reply to `GET configUrl` (PROTOCOL §13.3). */
export const ConnectionConfigResponse = successEnvelope({
  scopes: z.array(z.string()).min(1),
  registerUrl: z.string().url(),
});
export type ConnectionConfigResponse = z.infer<typeof ConnectionConfigResponse>;

/** Simple connection: the JSON in the `register` form field (PROTOCOL §13.4). */
export const RegisterRequest = z.object({
  systemUrl: z.string().min(1),
  apiKey: z.string().min(1),
  token: z.string().min(1),
});
export type RegisterRequest = z.infer<typeof RegisterRequest>;
export const RegisterForm = z.object({ register: jsonField(RegisterRequest) });

export const RegisterResponse = successEnvelope({ accountUrl: z.string().url() });
export type RegisterResponse = z.infer<typeof RegisterResponse>;

/** token = lowercase hex HMAC-SHA256 of the apiKey, keyed with the partner secret (PROTOCOL §13.4). */
export function simpleConnectionToken(secret: string, apiKey: string): string {
  return createHmac('sha256', secret).update(apiKey).digest('hex');
}
