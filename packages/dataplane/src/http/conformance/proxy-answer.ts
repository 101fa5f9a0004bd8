/**
 * What a client reads from the proxy, read strictly: the proxy writes one canonical form (CRLF
 * lines, `Name: value` fields, exactly one framing: Content-Length, chunked without extensions or
 * trailers, or the close), so anything looser is a defect of the proxy, not a client's problem.
 */

export interface ProxyAnswer {
  status: number;
  headers: [string, string][];
  body: string;
  /** One Connection header: `keep-alive` or `close`. */
  keepAlive: boolean;
  /** Where it ends in the text. */
  end: number;
}

export type AnswerRead =
  /** A whole answer. */
  | { kind: 'answer'; answer: ProxyAnswer }
  /** More is needed; `head` and the body so far when the head is whole. */
  | { kind: 'partial'; head: Omit<ProxyAnswer, 'end' | 'body'> | undefined; body: string }
  | { kind: 'malformed'; why: string };

const STATUS_LINE = /^HTTP\/1\.1 ([1-9]\d\d) [^\x00-\x08\x0a-\x1f\x7f]*$/;
const FIELD = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+): ?((?:[^\x00-\x20\x7f](?:[^\x00-\x08\x0a-\x1f\x7f]*[^\x00-\x20\x7f])?)?)$/;
const DIGITS = /^\d{1,15}$/;
const CHUNK_SIZE = /^[0-9a-f]{1,15}$/;
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/**
 * Reads the answer at `from` in `text` (latin1) to a request (`head`: a HEAD request); `closed`:
 * the connection has closed, so a body delimited by the close is whole.
 */
export function readProxyAnswer(text: string, from: number, opts: { head: boolean; closed: boolean; upgrade?: boolean }): AnswerRead {
  const headEnd = text.indexOf('\r\n\r\n', from);
  if (headEnd < 0) return { kind: 'partial', head: undefined, body: '' };
  const lines = text.slice(from, headEnd).split('\r\n');
  const status = STATUS_LINE.exec(lines[0]!);
  if (!status) return { kind: 'malformed', why: `status line ${JSON.stringify(lines[0])}` };
  const headers: [string, string][] = [];
  for (const line of lines.slice(1)) {
    const m = FIELD.exec(line);
    if (!m) return { kind: 'malformed', why: `header line ${JSON.stringify(line)}` };
    headers.push([m[1]!, m[2]!]);
  }
  const values = (lower: string) => headers.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
  const connection = values('connection');
  const code = Number(status[1]);
  // To an upgrade request, a 101 is the proxy's own head for the tunnel: `Connection: upgrade`,
  // the protocol switched to, no framing; every byte after it is the tunnel's.
  if (code === 101 && opts.upgrade) {
    const upgrade = values('upgrade');
    if (connection.length !== 1 || connection[0] !== 'upgrade' || upgrade.length !== 1)
      return { kind: 'malformed', why: `101 with Connection ${JSON.stringify(connection)}, Upgrade ${JSON.stringify(upgrade)}` };
    const other = headers.find(([n]) => (HOP_BY_HOP.has(n.toLowerCase()) && !/^(connection|upgrade)$/i.test(n)) || /^content-length$/i.test(n));
    if (other) return { kind: 'malformed', why: `${other[0]} on a 101` };
    return { kind: 'answer', answer: { status: code, headers, keepAlive: false, body: '', end: headEnd + 4 } };
  }
  if (connection.length !== 1 || (connection[0] !== 'keep-alive' && connection[0] !== 'close')) return { kind: 'malformed', why: `Connection ${JSON.stringify(connection)}` };
  const hop = headers.find(([n]) => HOP_BY_HOP.has(n.toLowerCase()) && !/^(connection|transfer-encoding)$/i.test(n));
  if (hop) return { kind: 'malformed', why: `hop-by-hop ${hop[0]} passed on` };
  const lengths = values('content-length');
  const encodings = values('transfer-encoding');
  if (lengths.length > 1 || encodings.length > 1 || (lengths.length && encodings.length)) return { kind: 'malformed', why: `framing ${JSON.stringify({ lengths, encodings })}` };
  if (encodings.length && encodings[0] !== 'chunked') return { kind: 'malformed', why: `Transfer-Encoding ${encodings[0]}` };
  if (lengths.length && !DIGITS.test(lengths[0]!)) return { kind: 'malformed', why: `Content-Length ${lengths[0]}` };
  const head = { status: code, headers, keepAlive: connection[0] === 'keep-alive' };
  let at = headEnd + 4;
  if (opts.head || code === 204 || code === 304 || code < 200) return { kind: 'answer', answer: { ...head, body: '', end: at } };
  if (lengths.length) {
    const n = Number(lengths[0]);
    if (text.length < at + n) return { kind: 'partial', head, body: text.slice(at) };
    return { kind: 'answer', answer: { ...head, body: text.slice(at, at + n), end: at + n } };
  }
  if (!encodings.length) {
    if (head.keepAlive) return { kind: 'malformed', why: 'a body delimited by the close on a kept-alive connection' };
    return opts.closed ? { kind: 'answer', answer: { ...head, body: text.slice(at), end: text.length } } : { kind: 'partial', head, body: text.slice(at) };
  }
  let body = '';
  for (;;) {
    const eol = text.indexOf('\r\n', at);
    if (eol < 0) return { kind: 'partial', head, body };
    const size = text.slice(at, eol);
    if (!CHUNK_SIZE.test(size)) return { kind: 'malformed', why: `chunk size ${JSON.stringify(size.slice(0, 40))}` };
    const n = parseInt(size, 16);
    if (n === 0) {
      if (text.length < eol + 4) return { kind: 'partial', head, body };
      if (text.slice(eol + 2, eol + 4) !== '\r\n') return { kind: 'malformed', why: 'trailers or garbage after the last chunk' };
      return { kind: 'answer', answer: { ...head, body, end: eol + 4 } };
    }
    if (text.length < eol + 2 + n + 2) return { kind: 'partial', head, body: body + text.slice(eol + 2, eol + 2 + n) };
    if (text.slice(eol + 2 + n, eol + 4 + n) !== '\r\n') return { kind: 'malformed', why: 'chunk data not followed by CRLF' };
    body += text.slice(eol + 2, eol + 2 + n);
    at = eol + 4 + n;
  }
}

/** `headers` less hop-by-hop ones, those the Connection header names, and Content-Length (framing, which the proxy may redo). */
export function endToEnd(headers: readonly [string, string][]): [string, string][] {
  const named = new Set<string>();
  for (const [n, v] of headers) if (n.toLowerCase() === 'connection') for (const t of v.split(',')) named.add(t.trim().toLowerCase());
  return headers.filter(([n]) => {
    const lower = n.toLowerCase();
    return !HOP_BY_HOP.has(lower) && !named.has(lower) && lower !== 'content-length';
  });
}
