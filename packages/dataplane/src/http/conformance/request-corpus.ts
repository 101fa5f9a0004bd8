/**
 * Request framings a client can send, each with what a backend behind the proxy must see:
 * `forwards` lists the requests (method, target, body) in order; `refuses` is the status the
 * client gets, after which the connection closes. The seed corpus of the fuzzer, too.
 */
export interface CorpusCase {
  name: string;
  bytes: string;
  forwards: { method: string; target: string; body: string }[];
  refuses?: number;
  /** The client half-closes after sending (by default only when nothing is refused). */
  halfClose?: boolean;
  /** A header every forwarded request must carry, as the proxy wrote it. */
  upstreamHeader?: [string, string];
  /** Headers (lower-case) no forwarded request may carry. */
  upstreamAbsent?: string[];
}

const H = 'Host: x\r\n';
const get = (target = '/') => `GET ${target} HTTP/1.1\r\n${H}\r\n`;
const fwd = (method: string, target: string, body = '') => ({ method, target, body });
const refused = (name: string, bytes: string, status = 400, forwards: CorpusCase['forwards'] = []): CorpusCase => ({ name, bytes, forwards, refuses: status });
const post = (headers: string, body: string) => `POST /p HTTP/1.1\r\n${H}${headers}\r\n${body}`;
const chunked = (te: string, body = '3\r\nabc\r\n0\r\n\r\n') => post(`Transfer-Encoding: ${te}\r\n`, body);

/** The request the issue's report smuggled inside a body. */
const SMUGGLED = `GET /admin HTTP/1.1\r\n${H}X-Forwarded-For: 127.0.0.1\r\n\r\n`;

/** A WebSocket upgrade request for `target`, with `headers` (CRLF-ended lines) of its own. */
const upgrade = (target: string, headers = '') => `GET ${target} HTTP/1.1\r\n${H}Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n${headers}\r\n`;
/** An h2c upgrade request as RFC 7540 §3.2 writes it. */
const h2c = (target: string) => `GET ${target} HTTP/1.1\r\n${H}Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n`;
const UPGRADE_FIELDS = ['upgrade', 'http2-settings'];

const RELIED_ON = ['content-length', 'transfer-encoding', 'host', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-real-ip', 'x-request-id'];

export const REQUEST_CORPUS: CorpusCase[] = [
  // Plain framing, both servers.
  { name: 'get', bytes: get('/a'), forwards: [fwd('GET', '/a')] },
  { name: 'head', bytes: `HEAD /h HTTP/1.1\r\n${H}\r\n`, forwards: [fwd('HEAD', '/h')] },
  { name: 'get with Content-Length 0', bytes: `GET /z HTTP/1.1\r\n${H}Content-Length: 0\r\n\r\n`, forwards: [fwd('GET', '/z')] },
  { name: 'post with Content-Length', bytes: post('Content-Length: 5\r\n', 'hello'), forwards: [fwd('POST', '/p', 'hello')] },
  { name: 'post chunked', bytes: chunked('chunked'), forwards: [fwd('POST', '/p', 'abc')] },
  { name: 'http/1.0 without Host', bytes: 'GET /old HTTP/1.0\r\n\r\n', forwards: [fwd('GET', '/old')] },
  { name: 'http/1.0 with a body', bytes: 'POST /old HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi', forwards: [fwd('POST', '/old', 'hi')] },
  { name: 'leading blank line', bytes: `\r\n${get('/lead')}`, forwards: [fwd('GET', '/lead')] },
  { name: 'expect 100-continue', bytes: post('Content-Length: 2\r\nExpect: 100-continue\r\n', 'hi'), forwards: [fwd('POST', '/p', 'hi')] },
  refused('unsupported expectation', post('Content-Length: 2\r\nExpect: teapot\r\n', 'hi'), 417),
  // Fields written loosely reach the backend as the proxy writes them (`Name: value`), never as sent.
  { name: 'field without a space after the colon', bytes: `GET /ows HTTP/1.1\r\n${H}X-A:1\r\n\r\n`, forwards: [fwd('GET', '/ows')], upstreamHeader: ['x-a', '1'] },
  { name: 'field with a tab after the colon', bytes: `GET /ows HTTP/1.1\r\n${H}X-A:\t1\r\n\r\n`, forwards: [fwd('GET', '/ows')], upstreamHeader: ['x-a', '1'] },
  { name: 'field with trailing spaces', bytes: `GET /ows HTTP/1.1\r\n${H}X-A: 1  \r\n\r\n`, forwards: [fwd('GET', '/ows')], upstreamHeader: ['x-a', '1'] },

  // Content-Length and Transfer-Encoding together, repeated, or malformed.
  refused('CL then TE', post('Content-Length: 3\r\nTransfer-Encoding: chunked\r\n', '0\r\n\r\n')),
  refused('TE then CL', post('Transfer-Encoding: chunked\r\nContent-Length: 3\r\n', '0\r\n\r\n')),
  refused('CL with TE identity', post('Transfer-Encoding: identity\r\nContent-Length: 3\r\n', 'abc')),
  refused('duplicate CL, same value', post('Content-Length: 3\r\nContent-Length: 3\r\n', 'abc')),
  refused('duplicate CL, different values', post('Content-Length: 3\r\nContent-Length: 5\r\n', 'abcde')),
  refused('comma-listed CL', post('Content-Length: 3, 3\r\n', 'abc')),
  refused('CL with a sign', post('Content-Length: +3\r\n', 'abc')),
  refused('CL in hex', post('Content-Length: 0x3\r\n', 'abc')),
  refused('CL with inner space', post('Content-Length: 1 2\r\n', 'abcdefghijkl')),
  refused('negative CL', post('Content-Length: -1\r\n', 'abc')),
  refused('CL too long', post('Content-Length: 1000000000000000000000\r\n', 'abc')),

  // Transfer-Encoding variants.
  { name: 'TE with spaces', bytes: chunked(' chunked  '), forwards: [fwd('POST', '/p', 'abc')] },
  { name: 'TE with a tab', bytes: post('Transfer-Encoding:\tchunked\r\n', '3\r\nabc\r\n0\r\n\r\n'), forwards: [fwd('POST', '/p', 'abc')] },
  { name: 'TE in mixed case', bytes: chunked('ChUnKeD'), forwards: [fwd('POST', '/p', 'abc')] },
  refused('xchunked', chunked('xchunked')),
  refused('chunked, identity', chunked('chunked, identity')),
  refused('chunked twice', chunked('chunked, chunked')),
  refused('identity alone', chunked('identity', 'abc')),
  refused('quoted chunked', chunked('"chunked"')),
  refused('empty TE', chunked('')),
  refused('unknown coding before chunked', chunked('foo, chunked'), 501),
  refused('TE chunked then gzip in two fields', post('Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n', '3\r\nabc\r\n0\r\n\r\n')),
  refused('TE in HTTP/1.0', 'POST /p HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'),
  { name: 'gzip, chunked keeps gzip', bytes: chunked('gzip, chunked'), forwards: [fwd('POST', '/p', 'abc')], upstreamHeader: ['transfer-encoding', 'gzip, chunked'] },
  {
    name: 'gzip and chunked in two fields',
    bytes: post('Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n', '3\r\nabc\r\n0\r\n\r\n'),
    forwards: [fwd('POST', '/p', 'abc')],
    upstreamHeader: ['transfer-encoding', 'gzip, chunked'],
  },

  // Connection naming what the proxy relies on: refused. Naming anything else: that header is dropped.
  ...RELIED_ON.map((h) => refused(`Connection: ${h}`, `GET /c HTTP/1.1\r\n${H}Connection: keep-alive, ${h}\r\n${h === 'host' || h === 'content-length' ? '' : `${h}: v\r\n`}\r\n`)),
  refused('smuggling through Connection: content-length', post(`Content-Length: ${SMUGGLED.length}\r\nConnection: content-length\r\n`, SMUGGLED)),
  refused('smuggling a chunked body through Connection: transfer-encoding', post('Transfer-Encoding: chunked\r\nConnection: transfer-encoding\r\n', `0\r\n\r\n${SMUGGLED}`)),
  { name: 'Connection naming a custom header', bytes: `GET /c HTTP/1.1\r\n${H}X-Hop: 1\r\nConnection: x-hop\r\n\r\n`, forwards: [fwd('GET', '/c')] },

  // Host.
  refused('duplicate Host', `GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n`),
  refused('duplicate Host with a body', `POST / HTTP/1.1\r\nHost: a\r\nHost: b\r\nContent-Length: 1\r\n\r\nx`),
  refused('missing Host', 'GET / HTTP/1.1\r\n\r\n'),
  refused('Host with a space', 'GET / HTTP/1.1\r\nHost: a b\r\n\r\n'),
  refused('Host with a slash', 'GET / HTTP/1.1\r\nHost: a/b\r\n\r\n'),

  // Line structure and bytes a head may not hold.
  refused('obs-fold', `GET / HTTP/1.1\r\n${H}X-A: a\r\n b\r\n\r\n`),
  refused('bare LF everywhere', 'GET / HTTP/1.1\nHost: x\n\n'),
  refused('bare LF after one header', `GET / HTTP/1.1\r\n${H}X-A: a\n\r\n`),
  refused('bare LF ending the head', `GET / HTTP/1.1\r\n${H}\n`),
  refused('bare CR in a value', `GET / HTTP/1.1\r\n${H}X-A: a\rb\r\n\r\n`),
  refused('bare CR ending a line', `GET / HTTP/1.1\r\n${H}X-A: a\r\r\n\r\n`),
  refused('NUL in a value', `GET / HTTP/1.1\r\n${H}X-A: a\x00b\r\n\r\n`),
  refused('NUL in a name', `GET / HTTP/1.1\r\n${H}X\x00A: b\r\n\r\n`),
  refused('control byte in a value', `GET / HTTP/1.1\r\n${H}X-A: a\x01b\r\n\r\n`),
  refused('DEL in a value', `GET / HTTP/1.1\r\n${H}X-A: a\x7fb\r\n\r\n`),
  refused('space before the colon', `GET / HTTP/1.1\r\n${H}X-A : b\r\n\r\n`),
  refused('header without a colon', `GET / HTTP/1.1\r\n${H}X-A\r\n\r\n`),
  refused('control byte in the target', `GET /a\x01b HTTP/1.1\r\n${H}\r\n`),
  refused('two spaces in the request line', `GET  / HTTP/1.1\r\n${H}\r\n`),
  refused('lower-case method', `get / HTTP/1.1\r\n${H}\r\n`),
  refused('HTTP/0.9 request line', 'GET /\r\n\r\n'),
  refused('HTTP/2.0 request line', `GET / HTTP/2.0\r\n${H}\r\n`, 505),
  refused('oversized head', `GET / HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431),
  refused('oversized head with a body', `POST / HTTP/1.1\r\n${H}Content-Length: 1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\nx`, 431),
  refused('too many headers', `GET / HTTP/1.1\r\n${H}${Array.from({ length: 150 }, (_, i) => `X-${i}: ${i}\r\n`).join('')}\r\n`, 431),

  // Targets.
  { name: 'absolute-form', bytes: `GET http://x/abs?q=1 HTTP/1.1\r\n${H}\r\n`, forwards: [fwd('GET', '/abs?q=1')] },
  { name: 'absolute-form with only a query', bytes: `GET http://x?q=1 HTTP/1.1\r\n${H}\r\n`, forwards: [fwd('GET', '/?q=1')] },
  refused('absolute-form naming another host', `GET http://y/abs HTTP/1.1\r\n${H}\r\n`),
  refused('absolute-form with userinfo', `GET http://u@x/ HTTP/1.1\r\n${H}\r\n`),
  { name: 'asterisk', bytes: `OPTIONS * HTTP/1.1\r\n${H}\r\n`, forwards: [fwd('OPTIONS', '*')] },
  refused('asterisk outside OPTIONS', `GET * HTTP/1.1\r\n${H}\r\n`),
  refused('authority-form CONNECT', `CONNECT x:443 HTTP/1.1\r\n${H}\r\n`, 405),

  // Chunk syntax.
  { name: 'chunk extensions', bytes: chunked('chunked', '3;name=value\r\nabc\r\n0;x\r\n\r\n'), forwards: [fwd('POST', '/p', 'abc')] },
  { name: 'trailers', bytes: chunked('chunked', '3\r\nabc\r\n0\r\nX-Trailer: 1\r\n\r\n'), forwards: [fwd('POST', '/p', 'abc')] },
  { name: 'several chunks', bytes: chunked('chunked', '1\r\na\r\n2\r\nbc\r\nA\r\n0123456789\r\n0\r\n\r\n'), forwards: [fwd('POST', '/p', 'abc0123456789')] },
  refused('chunk size not hex', chunked('chunked', 'zz\r\nabc\r\n0\r\n\r\n')),
  refused('negative chunk size', chunked('chunked', '-3\r\nabc\r\n0\r\n\r\n')),
  refused('chunk size with a space', chunked('chunked', '3 \r\nabc\r\n0\r\n\r\n')),
  refused('chunk size overflow', chunked('chunked', 'fffffffffffffffff\r\nabc\r\n0\r\n\r\n')),
  refused('chunk size with 0x', chunked('chunked', '0x3\r\nabc\r\n0\r\n\r\n')),
  refused('chunk data longer than its size', chunked('chunked', '3\r\nabcd\r\n0\r\n\r\n')),
  refused('chunk size ending in a bare LF', chunked('chunked', '3\nabc\r\n0\r\n\r\n')),

  // Pipelines.
  { name: 'three pipelined GETs', bytes: get('/1') + get('/2') + get('/3'), forwards: [fwd('GET', '/1'), fwd('GET', '/2'), fwd('GET', '/3')] },
  {
    name: 'GET, upload, GET',
    bytes: get('/1') + post('Content-Length: 2\r\n', 'hi') + get('/3'),
    forwards: [fwd('GET', '/1'), fwd('POST', '/p', 'hi'), fwd('GET', '/3')],
  },
  {
    name: 'chunked upload, then GET',
    bytes: chunked('chunked') + get('/after'),
    forwards: [fwd('POST', '/p', 'abc'), fwd('GET', '/after')],
  },
  refused('GET, duplicate Host, GET', get('/1') + 'GET /2 HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n' + get('/3'), 400, [fwd('GET', '/1')]),
  refused('upload, then Connection: content-length', post('Content-Length: 2\r\n', 'hi') + post(`Content-Length: ${SMUGGLED.length}\r\nConnection: content-length\r\n`, SMUGGLED), 400, [
    fwd('POST', '/p', 'hi'),
  ]),
  refused('GET, then bare LF', get('/1') + 'GET /2 HTTP/1.1\nHost: x\n\n', 400, [fwd('GET', '/1')]),

  // Upgrades. The backend here answers 200, never 101: the connection then closes, and what the
  // client sent behind its upgrade request (tunnel bytes, or a request) never reaches a backend.
  { name: 'websocket upgrade, then a pipelined request', bytes: upgrade('/ws') + get('/after'), forwards: [fwd('GET', '/ws')], upstreamHeader: ['upgrade', 'websocket'] },
  { name: 'websocket upgrade in absolute form', bytes: upgrade('http://x/ws'), forwards: [fwd('GET', '/ws')] },
  { name: 'upgrade with Content-Length 0', bytes: upgrade('/ws', 'Content-Length: 0\r\n') + get('/after'), forwards: [fwd('GET', '/ws')] },
  refused('upgrade with a Content-Length body', upgrade('/ws', `Content-Length: ${SMUGGLED.length}\r\n`) + SMUGGLED),
  refused('upgrade with a chunked body', upgrade('/ws', 'Transfer-Encoding: chunked\r\n') + '3\r\nabc\r\n0\r\n\r\n'),
  refused('upgrade with an empty Upgrade', `GET /ws HTTP/1.1\r\n${H}Connection: Upgrade\r\nUpgrade: \r\n\r\n`),
  refused('upgrade naming no protocol', `GET /ws HTTP/1.1\r\n${H}Connection: Upgrade\r\nUpgrade: web socket\r\n\r\n`),
  {
    name: 'upload, then a websocket upgrade, then a request',
    bytes: post('Content-Length: 2\r\n', 'hi') + upgrade('/ws') + get('/after'),
    forwards: [fwd('POST', '/p', 'hi'), fwd('GET', '/ws')],
  },
  // Not an upgrade: an ordinary request, the upgrade's fields dropped. h2c would take the client
  // past the proxy's parsing to the backend's HTTP/2 (Envoy drops it the same way); Upgrade means
  // nothing in HTTP/1.0 (RFC 9110 §7.8) or without `Connection: upgrade`.
  { name: 'h2c upgrade', bytes: h2c('/h2c') + get('/after'), forwards: [fwd('GET', '/h2c'), fwd('GET', '/after')], upstreamAbsent: UPGRADE_FIELDS },
  {
    name: 'h2c upgrade without HTTP2-Settings in Connection',
    bytes: `GET /h2c HTTP/1.1\r\n${H}Connection: Upgrade\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n`,
    forwards: [fwd('GET', '/h2c')],
    upstreamAbsent: UPGRADE_FIELDS,
  },
  {
    name: 'h2c offered beside websocket',
    bytes: `GET /h2c HTTP/1.1\r\n${H}Connection: Upgrade\r\nUpgrade: websocket, h2c\r\n\r\n${get('/after')}`,
    forwards: [fwd('GET', '/h2c'), fwd('GET', '/after')],
    upstreamAbsent: UPGRADE_FIELDS,
  },
  {
    name: 'upload, then an h2c upgrade',
    bytes: post('Content-Length: 2\r\n', 'hi') + h2c('/h2c'),
    forwards: [fwd('POST', '/p', 'hi'), fwd('GET', '/h2c')],
    upstreamAbsent: UPGRADE_FIELDS,
  },
  {
    name: 'HTTP/1.0 upgrade',
    bytes: 'GET /old HTTP/1.0\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
    forwards: [fwd('GET', '/old')],
    upstreamAbsent: UPGRADE_FIELDS,
  },
  { name: 'Connection: upgrade without Upgrade', bytes: `GET /c HTTP/1.1\r\n${H}Connection: Upgrade\r\n\r\n${get('/after')}`, forwards: [fwd('GET', '/c'), fwd('GET', '/after')] },
  {
    name: 'Upgrade without Connection: upgrade',
    bytes: `GET /u HTTP/1.1\r\n${H}Upgrade: websocket\r\n\r\n${get('/after')}`,
    forwards: [fwd('GET', '/u'), fwd('GET', '/after')],
    upstreamAbsent: UPGRADE_FIELDS,
  },

  // Half-close: what arrived whole is answered; a partial head is not forwarded.
  { name: 'half-close after a partial head', bytes: 'GET / HTTP/1.1\r\nHo', forwards: [] },
  { ...refused('half-close after a partial body', post('Content-Length: 10\r\n', 'abc')), halfClose: true },
];
