/**
 * Answers a backend can give, each with what the proxy must make of it: `passed` (the client gets
 * the response as a strict parser reads it), `refused` (a 502 from the proxy), `cut` (the body
 * goes wrong: a 502 while the head is still held back for the first body piece, else the
 * connection closes mid-answer; never a close on nothing) or, to an upgrade request, `tunnel`
 * (the 101, then every byte after its head both ways, in order). The seed corpus of the response
 * fuzzer, too.
 */
export interface ResponseCase {
  name: string;
  bytes: string;
  outcome: 'passed' | 'refused' | 'cut' | 'tunnel';
  /** The request is a HEAD. */
  head?: boolean;
  /**
   * The request asks to switch to WebSocket, its first tunnel bytes (a request, as a smuggler
   * would send them) right behind its head: they reach the backend only through a tunnel, and
   * an answer other than a 101 closes the client's connection.
   */
  upgrade?: boolean;
}

const OK = 'HTTP/1.1 200 OK\r\n';
/** The response a hostile backend hides after (or inside) its first one. */
const LEAK = 'HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nLEAK';
const sized = (body: string, headers = '') => `${OK}${headers}Content-Length: ${body.length}\r\n\r\n${body}`;
const chunked = (chunks: string, headers = '') => `${OK}${headers}Transfer-Encoding: chunked\r\n\r\n${chunks}`;
const passed = (name: string, bytes: string, head = false): ResponseCase => ({ name, bytes, outcome: 'passed', head });
const refused = (name: string, bytes: string): ResponseCase => ({ name, bytes, outcome: 'refused' });
const cut = (name: string, bytes: string): ResponseCase => ({ name, bytes, outcome: 'cut' });
/** An answer to a WebSocket upgrade request. */
const toUpgrade = (outcome: ResponseCase['outcome'], name: string, bytes: string): ResponseCase => ({ name, bytes, outcome, upgrade: true });
const SWITCH = 'HTTP/1.1 101 Switching Protocols\r\n';
const WS = `${SWITCH}Connection: Upgrade\r\nUpgrade: websocket\r\n`;
/** A WebSocket text frame, as the tunnel's first bytes. */
const FRAME = '\x81\x05hello';

export const RESPONSE_CORPUS: ResponseCase[] = [
  // Content-Length.
  passed('Content-Length', sized('hello')),
  passed('Content-Length 0', sized('')),
  passed('Content-Length with leading zeros', `${OK}Content-Length: 005\r\n\r\nhello`),
  passed('Content-Length with spaces around the value', `${OK}Content-Length:   5  \r\n\r\nhello`),
  passed('a large body', sized('x'.repeat(40_000))),
  refused('Content-Length and Transfer-Encoding', `${OK}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${LEAK}`),
  refused('Transfer-Encoding then Content-Length', `${OK}Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n`),
  // Found by the fuzzer (seed 1): passed on, both lines reached the client, which strict clients refuse.
  refused('duplicate Content-Length, same value', `${OK}Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello`),
  refused('differing duplicate Content-Length', `${OK}Content-Length: 0\r\nContent-Length: 44\r\n\r\n${LEAK}`),
  refused('comma-listed Content-Length', `${OK}Content-Length: 4, 4\r\n\r\nLEAK`),
  refused('signed Content-Length', `${OK}Content-Length: +4\r\n\r\nLEAK`),
  refused('hex Content-Length', `${OK}Content-Length: 0x4\r\n\r\nLEAK`),
  refused('Content-Length with an inner space', `${OK}Content-Length: 1 2\r\n\r\nLEAKLEAKLEAK`),
  refused('Content-Length of 16 digits', `${OK}Content-Length: 1000000000000000\r\n\r\nLEAK`),
  // Found by the fuzzer (seed 20261218): whitespace to RFC 9110, but strict llhttp refuses it.
  refused('Content-Length with a tab after the value', `${OK}Content-Length:   5 \t\r\n\r\nhello`),
  cut('Content-Length longer than the body, then close', `${OK}Content-Length: 100\r\n\r\nonly this`),

  // Chunked.
  passed('chunked', chunked('5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n')),
  passed('chunked with extensions', chunked('5;a=b\r\nhello\r\n6 \t;q="x;\\"y";r\r\n world\r\n0;last\r\n\r\n')),
  cut("whitespace after a chunk extension's semicolon", chunked('2; a=b\r\nok\r\n0\r\n\r\n')),
  cut('a control byte in a chunk extension', chunked('2;a=\x01\r\nok\r\n0\r\n\r\n')),
  cut('a trailer that is no field line', chunked(`2\r\nok\r\n0\r\n3\r\nabc\r\n\r\n${LEAK}`)),
  passed('chunked with trailers', chunked('5\r\nhello\r\n0\r\nX-Trailer: 1\r\nX-Other: 2\r\n\r\n')),
  passed('chunk sizes in upper and lower case hex', chunked('A\r\n0123456789\r\nb\r\n0123456789a\r\n0\r\n\r\n')),
  passed('chunk size with leading zeros', chunked('0005\r\nhello\r\n0000\r\n\r\n')),
  passed('Transfer-Encoding in mixed case', `${OK}Transfer-Encoding: ChUnKeD\r\n\r\n2\r\nok\r\n0\r\n\r\n`),
  refused('Transfer-Encoding gzip, chunked', `${OK}Transfer-Encoding: gzip, chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n`),
  refused('Transfer-Encoding chunked, identity', `${OK}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n${LEAK}`),
  refused('Transfer-Encoding identity', `${OK}Transfer-Encoding: identity\r\n\r\nLEAK`),
  refused('Transfer-Encoding twice', `${OK}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`),
  // Found by the fuzzer (seed 1): read with the head, a bad chunk line closed the connection on
  // nothing; the head had not gone out, so the client gets the 502.
  cut('chunk size not hex', chunked('zz\r\nok\r\n0\r\n\r\n')),
  cut('chunk size of 13 hex digits', chunked('fffffffffffff\r\nok\r\n0\r\n\r\n')),
  cut('a huge chunk size, then close', chunked('ffffffffffff\r\nok')),
  cut('chunk data longer than its size', chunked(`2\r\nokXX\r\n0\r\n\r\n${LEAK}`)),
  cut('bare LF after a chunk size', chunked(`2\nok\r\n0\r\n\r\n${LEAK}`)),
  cut('chunk size with a space and no extension', chunked('2 \r\nok\r\n0\r\n\r\n')),
  cut('close before the last chunk', chunked('2\r\nok\r\n')),

  // Interim answers, bodiless statuses, HEAD.
  passed('100 Continue before the answer', `HTTP/1.1 100 Continue\r\n\r\n${sized('ok')}`),
  passed('103 Early Hints before the answer', `HTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\n${sized('ok')}`),
  passed('two interim answers', `HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n${chunked('2\r\nok\r\n0\r\n\r\n')}`),
  passed('204', 'HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n'),
  passed('304 with a Content-Length', 'HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\nETag: "e"\r\n\r\n'),
  passed('HEAD answered with a Content-Length', `${OK}Content-Length: 5\r\n\r\n`, true),
  passed('HEAD answered chunked', `${OK}Transfer-Encoding: chunked\r\n\r\n`, true),
  passed('HEAD answered with a body anyway', `${OK}Content-Length: 4\r\n\r\nLEAK`, true),
  // Found by the fuzzer (seed 1): llhttp refuses an interim answer framed both ways; the proxy skipped it.
  refused('an interim answer with Content-Length and Transfer-Encoding', `HTTP/1.1 100 Continue\r\nContent-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n${sized('ok')}`),
  refused('an interim answer with Transfer-Encoding identity and Content-Length', `HTTP/1.1 100 Continue\r\nTransfer-Encoding: identity\r\nContent-Length: 0\r\n\r\n${sized('ok')}`),
  passed('an interim answer saying Connection: close', `HTTP/1.1 100 Continue\r\nConnection: close\r\n\r\n${sized('ok')}`),
  refused('101 to a request that asked for no upgrade', `HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n${LEAK}`),

  // Delimited by the close.
  passed('body delimited by the close', `${OK}X-A: 1\r\n\r\nthe rest is the body`),
  passed('HTTP/1.0 without a length', 'HTTP/1.0 200 OK\r\n\r\nold'),
  passed('HTTP/1.0 keep-alive with a length', 'HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok'),

  // Connection and hop-by-hop fields.
  passed('Connection: close', sized('ok', 'Connection: close\r\n')),
  passed('hop-by-hop fields dropped', sized('ok', 'Keep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nUpgrade: h2c\r\nTrailer: X-T\r\nTE: trailers\r\n')),
  passed('Connection naming a custom field', sized('ok', 'X-Hop: 1\r\nConnection: x-hop, close\r\nX-End: 2\r\n')),
  passed('Connection naming Content-Length', sized('hello', 'Connection: content-length\r\n')),
  passed('Connection naming Transfer-Encoding', chunked('2\r\nok\r\n0\r\n\r\n', 'Connection: transfer-encoding\r\n')),
  passed('loosely written fields', `${OK}X-A:1\r\nX-B:\t2 \r\nContent-Length: 2\r\n\r\nok`),
  passed('obs-text in a value and an empty value', sized('ok', 'X-A: caf\xe9\r\nX-Empty:\r\n')),
  passed('a status without a reason', 'HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok'),
  passed('an unregistered status', 'HTTP/1.1 599 Odd\r\nContent-Length: 2\r\n\r\nok'),

  // Line endings and bytes a head may not hold.
  refused('obsolete line folding', `${OK}X-A: a\r\n Content-Length: 44\r\nContent-Length: 0\r\n\r\n${LEAK}`),
  refused('bare LF line endings', `HTTP/1.1 200 OK\nContent-Length: 0\n\n${LEAK}`),
  refused('bare CR in a header line', `${OK}X-A: 1\rContent-Length: 0\r\n\r\n${LEAK}`),
  refused('NUL in a header value', `${OK}X-A: a\0b\r\nContent-Length: 2\r\n\r\nok`),
  refused('space before the colon', `${OK}Content-Length : 0\r\n\r\n${LEAK}`),
  refused('header line without a colon', `${OK}Content-Length 0\r\n\r\n${LEAK}`),
  refused('HTTP/1.2', 'HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n'),
  refused('close before any byte', ''),
  refused('close mid head', `${OK}Content-Le`),

  // More than the answer: passed on, and the connection that carried it is not reused.
  passed('a second response glued to the first', `${sized('ok')}${LEAK}`),
  passed('a second response after a chunked one', `${chunked('2\r\nok\r\n0\r\n\r\n')}${LEAK}`),
  passed('a body on a 204', `HTTP/1.1 204 No Content\r\n\r\n${LEAK}`),
  passed('CRLF after the body', `${sized('ok')}\r\n`),

  // Upgrades: only a 101 that switches to the protocol asked for opens the tunnel (RFC 9110 §7.8).
  toUpgrade('tunnel', '101 to a WebSocket upgrade', `${WS}Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n`),
  toUpgrade('tunnel', '101 with tunnel bytes in the same packet', `${WS}\r\n${FRAME}${LEAK}`),
  toUpgrade('tunnel', '100 Continue before the 101', `HTTP/1.1 100 Continue\r\n\r\n${WS}\r\n${FRAME}`),
  toUpgrade('tunnel', 'two interim answers before the 101', `HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n${WS}\r\n${FRAME}`),
  toUpgrade('tunnel', '101 naming the protocol in another case', `${SWITCH}connection: upgrade\r\nupgrade: WebSocket\r\n\r\n${FRAME}`),
  toUpgrade('tunnel', '101 with Connection naming other fields', `${SWITCH}X-Hop: 1\r\nConnection: keep-alive, Upgrade, X-Hop\r\nUpgrade: websocket\r\nX-End: 2\r\n\r\n${FRAME}`),
  // A 101 has no content (RFC 9110 §15.2): framing on it is dropped, what follows is the tunnel's.
  toUpgrade('tunnel', '101 with a Content-Length', `${WS}Content-Length: 4\r\n\r\nLEAK${FRAME}`),
  toUpgrade('tunnel', '101 with Transfer-Encoding', `${WS}Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n${LEAK}`),
  toUpgrade('refused', '101 switching to another protocol than asked', `${SWITCH}Connection: Upgrade\r\nUpgrade: h2c\r\n\r\nPRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`),
  toUpgrade('refused', '101 naming a second protocol nobody asked for', `${SWITCH}Connection: Upgrade\r\nUpgrade: websocket, h2c\r\n\r\n${FRAME}`),
  toUpgrade('refused', '101 without Upgrade', `${SWITCH}Connection: Upgrade\r\n\r\n${LEAK}`),
  toUpgrade('refused', '101 without Connection: upgrade', `${SWITCH}Upgrade: websocket\r\n\r\n${LEAK}`),
  toUpgrade('refused', '101 with two Upgrade fields', `${WS}Upgrade: websocket\r\n\r\n${FRAME}`),
  toUpgrade('refused', 'HTTP/1.0 101', `HTTP/1.0 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n${FRAME}`),
  // Anything else is an ordinary answer, and the connection closes after it: the client's bytes
  // after its head never reach a backend (the WebSocket smuggling of a proxy that trusts the request alone).
  toUpgrade('passed', 'upgrade refused with a 400', 'HTTP/1.1 400 Bad Request\r\nContent-Length: 2\r\n\r\nno'),
  toUpgrade('passed', 'upgrade refused with a 426', 'HTTP/1.1 426 Upgrade Required\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nContent-Length: 0\r\n\r\n'),
  toUpgrade('passed', 'a 200 saying Upgrade and Connection: upgrade', sized('ok', 'Upgrade: websocket\r\nConnection: Upgrade\r\n')),
  toUpgrade('passed', 'upgrade refused chunked', chunked('2\r\nno\r\n0\r\n\r\n')),
  toUpgrade('passed', 'upgrade refused, delimited by the close', 'HTTP/1.1 403 Forbidden\r\n\r\nno upgrade'),
  toUpgrade('passed', '100 Continue, then a refusal', `HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n`),
  toUpgrade('passed', 'a refusal with a 101 glued behind it', `HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n${WS}\r\n${FRAME}`),
  toUpgrade('passed', 'a 204 to an upgrade', 'HTTP/1.1 204 No Content\r\n\r\n'),
  // Found by the fuzzer (seed 1): a refusal whose body went bad in the read that carried its head
  // closed the connection on nothing; the head had not gone out, so the client gets the 502.
  toUpgrade('cut', "a refusal's chunk size not hex", chunked('zz\r\nno\r\n0\r\n\r\n')),
  toUpgrade('cut', "a refusal's chunk extension with whitespace after the semicolon", chunked('2; a=b\r\nno\r\n0\r\n\r\n')),
  toUpgrade('refused', 'an upgrade answered with nothing', ''),
];
