import { type HeadLimits, type HeadRefusal, type RequestHead, checkRequest, isRefusal } from '../request-head';

/** An HTTP/2 request head as the proxy reads it, in the same terms as an HTTP/1.1 one. */
export interface H2Head {
  /** What `checkRequest` made of it, as if the client had sent an HTTP/1.1 head (Host from :authority). */
  readonly head: RequestHead;
  /** The body's declared length (content-length), or -1 when DATA frames frame it alone. */
  readonly declaredLength: number;
  /** The stream carries a body (its HEADERS frame did not end it). */
  readonly hasBody: boolean;
}

/**
 * Fields that belong to an HTTP/1.1 connection; an HTTP/2 request carrying one is malformed
 * (RFC 9113 §8.2.2). `te` is allowed with the value `trailers` only, checked apart.
 */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);
/** What a field line costs against the head limit: as the same field written in HTTP/1.1 (`name: value\r\n`). */
const LINE_OVERHEAD = 4;

const refuse = (status: HeadRefusal['status'], reason: string): HeadRefusal => ({ status, reason });

/**
 * Reads an HTTP/2 request head (node:http2's raw list: pseudo-header fields first, names in
 * lower case) into the proxy's own terms, refusing what RFC 9113 calls malformed and what the
 * proxy will not forward: pseudo-headers unknown, repeated, missing or out of place; a :path
 * that is not origin form (or `*` for OPTIONS); CONNECT; an :authority that disagrees with
 * Host; connection-specific fields; upper-case names. The rest goes through the same
 * `checkRequest` as an HTTP/1.1 head, with the same limits (431 past them), so routing and the
 * backend see exactly what an HTTP/1.1 client with that head would have sent. nghttp2 refuses
 * much of this itself (a stream reset); these checks do not rely on it.
 */
export function readH2Head(raw: readonly string[], endStream: boolean, limits: HeadLimits): H2Head | HeadRefusal {
  let method: string | undefined;
  let path: string | undefined;
  let scheme: string | undefined;
  let authority: string | undefined;
  let regular = false;
  let size = 0;
  let cookie: string | undefined;
  let host: string | undefined;
  const fields: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    size += name.length + value.length + LINE_OVERHEAD;
    if (name.startsWith(':')) {
      if (regular) return refuse(400, 'pseudo-header after a regular field');
      switch (name) {
        case ':method':
          if (method !== undefined) return refuse(400, 'repeated :method');
          method = value;
          continue;
        case ':path':
          if (path !== undefined) return refuse(400, 'repeated :path');
          path = value;
          continue;
        case ':scheme':
          if (scheme !== undefined) return refuse(400, 'repeated :scheme');
          scheme = value;
          continue;
        case ':authority':
          if (authority !== undefined) return refuse(400, 'repeated :authority');
          authority = value;
          continue;
        default:
          return refuse(400, `unknown pseudo-header ${name}`);
      }
    }
    regular = true;
    if (name !== name.toLowerCase()) return refuse(400, 'upper-case field name');
    if (CONNECTION_SPECIFIC.has(name)) return refuse(400, `connection-specific field ${name} in an HTTP/2 request`);
    if (name === 'te') {
      if (value.trim().toLowerCase() !== 'trailers') return refuse(400, 'te other than trailers in an HTTP/2 request');
      continue;
    }
    // Cookie crumbs are one header again for an HTTP/1.1 backend (RFC 9113 §8.2.3).
    if (name === 'cookie') {
      cookie = cookie === undefined ? value : `${cookie}; ${value}`;
      continue;
    }
    if (name === 'host') host ??= value;
    fields.push(name, value);
  }
  if (size > limits.maxHeadBytes) return refuse(431, 'request head too large');
  if (method === undefined) return refuse(400, 'missing :method');
  // A tunnel (RFC 9113 §8.5) or extended CONNECT is not something the proxy opens.
  if (method === 'CONNECT') return refuse(405, 'CONNECT is not supported');
  if (scheme === undefined || path === undefined || path === '') return refuse(400, 'missing :scheme or :path');
  if (scheme !== 'https') return refuse(400, ':scheme must be https');
  if (!(path.startsWith('/') || (path === '*' && method === 'OPTIONS'))) return refuse(400, ':path must be origin form');
  if (authority !== undefined && host !== undefined && authority.toLowerCase() !== host.toLowerCase()) return refuse(400, ':authority disagrees with Host');
  if (authority === undefined && host === undefined) return refuse(400, 'missing :authority');
  // The backend speaks HTTP/1.1: Host first, as an HTTP/1.1 client writes it.
  const lines = host === undefined ? ['host', authority!, ...fields] : fields;
  if (cookie !== undefined) lines.push('cookie', cookie);
  const head = checkRequest(method, path, 'HTTP/1.1', lines, limits);
  if (isRefusal(head)) return head;
  const declared = head.framing.length > 0 ? head.length : -1;
  if (endStream) {
    if (declared > 0) return refuse(400, 'content-length without a body');
    return { head, declaredLength: declared, hasBody: false };
  }
  // Without content-length the body is framed by DATA frames alone: chunked again upstream.
  const body = declared >= 0 ? head : { ...head, length: -1, framing: ['Transfer-Encoding', 'chunked'] };
  return { head: body, declaredLength: declared, hasBody: true };
}
