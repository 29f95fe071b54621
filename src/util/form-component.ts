/**
 * One component of application/x-www-form-urlencoded text: `+` is a space, percent escapes are
 * UTF-8. Shared by the form codec (src/dialects/shared/form.ts) and the journal's redaction
 * (src/log.ts), so both read and write a value the same way.
 */

/** Decodes one key or value; throws URIError on a bad percent escape. */
export function decodeFormComponent(text: string): string {
  return decodeURIComponent(text.includes('+') ? text.replace(/\+/g, ' ') : text);
}

/** Characters encodeURIComponent leaves as they are: most keys and many values need no encoding. */
const unreserved = /^[A-Za-z0-9\-_.!~*'()]*$/;

/** encodeURIComponent with spaces as `+`, so `&`, `=`, `+` and Chinese inside values round-trip. */
export function encodeFormComponent(text: string): string {
  if (unreserved.test(text)) return text;
  const encoded = encodeURIComponent(text);
  return encoded.includes('%20') ? encoded.replace(/%20/g, '+') : encoded;
}
