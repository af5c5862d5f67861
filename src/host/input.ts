/**
 * The host's input edge (issue 14, item 3): what may reach a handler, checked before any handler code runs.
 *
 * - HTML routes take only the encoding a browser form sends, `application/x-www-form-urlencoded`; any other body
 *   (JSON, text, multipart) is refused with 415 before it is parsed, so a handler never sees a number or an object
 *   where the form has a string.
 * - A parameter given twice (`?clientId=a&clientId=b`, a form field repeated) is refused with 400 on every route,
 *   except the form fields of the module's multi-select settings ("the last one wins" is how two readers disagree).
 * - What is left is parsed with zod ({@link readQuery}, {@link readForm}): every value a string.
 * - A request line Node cannot parse (invalid bytes in the URL) gets a bodiless 400 ({@link bareClientError}).
 * @module
 */
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

/** An input the edge refuses; Fastify's error handler turns `statusCode` into the page or the JSON envelope. */
export class InputRefusedError extends Error {
  constructor(
    readonly statusCode: 400 | 415,
    message: string,
  ) {
    super(message);
    this.name = 'InputRefusedError';
  }
}

const FORM_TYPE = 'application/x-www-form-urlencoded';

/** `onRequest` of HTML POST routes: 415 unless the body is url-encoded form data. */
export async function formOnly(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  const type = request.headers['content-type']?.split(';', 1)[0]?.trim().toLowerCase();
  if (type !== FORM_TYPE) throw new InputRefusedError(415, 'Only application/x-www-form-urlencoded bodies are accepted');
}

const NONE: ReadonlySet<string> = new Set();

function repeated(values: unknown, lists: ReadonlySet<string> = NONE): string | undefined {
  if (values === null || typeof values !== 'object') return undefined;
  // for…in, not Object.entries: no array of pairs per request on the callback routes. Parsed forms and queries
  // are plain (or prototype-less) objects, so nothing inherited is enumerated.
  for (const key in values) if (Array.isArray((values as Record<string, unknown>)[key]) && !lists.has(key)) return key;
  return undefined;
}

/**
 * Throws a 400 when a query parameter or a form field is given more than once. Synchronous, so the hot callback
 * routes call it inline (a hook costs them a measurable share of their speed, docs/performance.md).
 */
export function refuseRepeatedNow(request: FastifyRequest): void {
  const key = repeated(request.query) ?? (request.headers['content-type']?.includes(FORM_TYPE) ? repeated(request.body) : undefined);
  if (key !== undefined) throw new InputRefusedError(400, `The parameter "${key.slice(0, 40)}" is given more than once`);
}

/** `preValidation` of every route: {@link refuseRepeatedNow} as a hook. */
export async function refuseRepeated(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
  refuseRepeatedNow(request);
}

/** {@link refuseRepeated} for a form whose fields named in `lists` (multi-selects) may repeat. */
export function refuseRepeatedExcept(lists: ReadonlySet<string>): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  if (lists.size === 0) return refuseRepeated;
  return async (request) => {
    const key = repeated(request.query) ?? (request.headers['content-type']?.includes(FORM_TYPE) ? repeated(request.body, lists) : undefined);
    if (key !== undefined) throw new InputRefusedError(400, `The parameter "${key.slice(0, 40)}" is given more than once`);
  };
}

/** Every value a string (the edge refused repeats, the form parser gives nothing else). */
const Strings = z.record(z.string(), z.string());

/** The query as strings, optional fields by name. Throws {@link InputRefusedError} (400) otherwise. */
export function readQuery(request: FastifyRequest): Readonly<Record<string, string | undefined>> {
  const parsed = Strings.safeParse(request.query ?? {});
  if (!parsed.success) throw new InputRefusedError(400, 'Malformed query');
  return parsed.data;
}

const StringsOrLists = z.record(z.string(), z.union([z.string(), z.array(z.string())]));

/** The form body as strings (`{}` when there is none). Throws {@link InputRefusedError} (400) otherwise. */
export function readForm(request: FastifyRequest): Readonly<Record<string, string | undefined>> {
  const parsed = Strings.safeParse(request.body ?? {});
  if (!parsed.success) throw new InputRefusedError(400, 'Malformed form');
  return parsed.data;
}

/** {@link readForm} for a form with multi-select fields: those may be lists (the edge refused other repeats). */
export function readFormWithLists(request: FastifyRequest): Readonly<Record<string, string | string[] | undefined>> {
  const parsed = StringsOrLists.safeParse(request.body ?? {});
  if (!parsed.success) throw new InputRefusedError(400, 'Malformed form');
  return parsed.data;
}

/** One optional string parameter, for places that read before the edge ran (the error handler's locale). */
export function single(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

const BARE_400 = 'HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n';

/**
 * Fastify's `clientErrorHandler` for a request Node could not parse: a bodiless 400 and close. Fastify's default
 * writes a JSON body whatever the method, which after a HEAD is read as the start of the next response.
 */
export function bareClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  socket.end(BARE_400);
}
