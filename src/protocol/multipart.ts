/**
 * `multipart/form-data` with text fields only: what the older vendor PHP client and the embed-ui publish script
 * send for every POST (PROTOCOL-INTEGRATIONS §24.1, §26 #5, #29). Both sides accept it: the emulator's API and
 * the module's callbacks. File parts are refused (no method here takes a file). No I/O.
 * @module
 */

export class MultipartError extends Error {}

const MAX_PARTS = 200;

/** The boundary of a `multipart/form-data` content type, or `undefined`. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^multipart\/form-data\b/i.test(contentType)) return undefined;
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

/**
 * Parses the text fields of a multipart body. A repeated name keeps the last value (as PHP reads `a=`; names with
 * `[]` are not used by the CRM's methods). Throws `MultipartError` on a malformed body or a file part.
 */
export function parseMultipartFields(body: string, boundary: string): Record<string, string> {
  const delimiter = `--${boundary}`;
  if (!body.startsWith(delimiter)) throw new MultipartError('the body does not start with the boundary');
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  const chunks = body.split(delimiter);
  // chunks[0] is the empty preamble; the last one starts with "--" (the closing delimiter).
  if (chunks.length < 2 || !chunks[chunks.length - 1]!.startsWith('--')) throw new MultipartError('the closing boundary is missing');
  if (chunks.length - 2 > MAX_PARTS) throw new MultipartError('too many parts');
  for (const chunk of chunks.slice(1, -1)) {
    const part = chunk.replace(/^\r\n/, '').replace(/\r\n$/, '');
    const split = part.indexOf('\r\n\r\n');
    if (split === -1) throw new MultipartError('a part has no header/body separator');
    const headers = part.slice(0, split);
    const value = part.slice(split + 4);
    const disposition = /^content-disposition:\s*form-data\s*;(.*)$/im.exec(headers)?.[1];
    if (disposition === undefined) throw new MultipartError('a part has no form-data disposition');
    if (/\bfilename\*?=/i.test(disposition)) throw new MultipartError('file parts are not accepted');
    const name = /\bname="([^"]*)"/i.exec(disposition)?.[1] ?? /\bname=([^\s;]+)/i.exec(disposition)?.[1];
    if (name === undefined || name === '' || name === '__proto__') throw new MultipartError('a part has no usable name');
    fields[name] = value;
  }
  return { ...fields };
}
