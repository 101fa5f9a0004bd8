import type { ClientRequest } from '../client-exchange';
import { headerValue } from '../headers';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Control characters other than HTAB, which a header value may not carry. */
export const BAD_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;
const METHOD = /^[A-Z]{3,10}$/;
const ORIGIN_FORM = /^\/[\x21-\x7e]*$/;
const VERSION = ' HTTP/1.1';

export function isToken(s: string): boolean {
  return TOKEN.test(s);
}

/**
 * A bodiless HTTP/1.1 request the listener serves itself. Its head is parsed by
 * `parsePlainRequest`, which accepts only what it can vouch for; everything else goes to
 * node:http on the same connection.
 */
export class PlainRequest implements ClientRequest {
  readonly body = undefined;
  readonly chunked = false;

  constructor(
    readonly method: string,
    readonly url: string,
    readonly rawHeaders: string[],
    readonly clientIp: string,
    /** The client asked to close after this answer (`Connection: close`). */
    readonly close: boolean,
  ) {}

  header(lowerName: string): string | undefined {
    return headerValue(this.rawHeaders, lowerName);
  }
}

/**
 * Parses a request head (the text before the blank line) for the fast path. It returns
 * undefined, and the connection goes to node:http, for anything but a plain request: a version
 * other than HTTP/1.1, a target not in origin form, a body (Content-Length other than 0,
 * Transfer-Encoding), Expect, Upgrade, a missing or repeated Host, obsolete line folding, or
 * any byte a header may not hold. node:http then answers it or refuses it with its own errors.
 */
export function parsePlainRequest(text: string, clientIp: string): PlainRequest | undefined {
  const lineEnd = text.indexOf('\r\n');
  if (lineEnd < 0) return undefined;
  const sp = text.indexOf(' ');
  if (sp < 0 || sp > lineEnd || !text.startsWith(VERSION, lineEnd - VERSION.length)) return undefined;
  const method = text.slice(0, sp);
  const url = text.slice(sp + 1, lineEnd - VERSION.length);
  if (!METHOD.test(method) || !ORIGIN_FORM.test(url)) return undefined;
  const raw: string[] = [];
  let hosts = 0;
  let close = false;
  let length: string | undefined;
  let at = lineEnd + 2;
  while (at < text.length) {
    let end = text.indexOf('\r\n', at);
    if (end < 0) end = text.length;
    const colon = text.indexOf(':', at);
    if (colon <= at || colon > end) return undefined;
    const name = text.slice(at, colon);
    const rawValue = text.slice(colon + 1, end);
    // A name that is not a token also catches obsolete folding (a line opening with whitespace).
    if (!TOKEN.test(name) || BAD_VALUE.test(rawValue)) return undefined;
    const value = rawValue.trim();
    switch (name.length) {
      case 4:
        if (name.toLowerCase() === 'host') hosts++;
        break;
      case 6:
        if (name.toLowerCase() === 'expect') return undefined;
        break;
      case 7:
        if (name.toLowerCase() === 'upgrade') return undefined;
        break;
      case 10:
        if (name.toLowerCase() === 'connection') {
          const v = value.toLowerCase();
          if (v.includes('upgrade')) return undefined;
          if (v.includes('close')) close = true;
        }
        break;
      case 14:
        if (name.toLowerCase() === 'content-length') {
          if (value !== '0' || length !== undefined) return undefined;
          length = value;
        }
        break;
      case 17:
        if (name.toLowerCase() === 'transfer-encoding') return undefined;
        break;
    }
    raw.push(name, value);
    at = end + 2;
  }
  if (hosts !== 1) return undefined;
  return new PlainRequest(method, url, raw, clientIp, close);
}
