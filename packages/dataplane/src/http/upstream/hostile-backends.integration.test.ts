import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dataplane } from '../../dataplane';
import { freePort, get, snapshotFor } from '../../test-support';
import { type RawBackend, parseResponses, rawClient, requestLine, startRawBackend } from './raw-test-peers';

/**
 * Backends that answer badly on purpose. Whatever they send, the client sees a clean 502 (or,
 * once the answer had started, a cut-off answer and a closed connection), never a byte of a
 * second response hidden in the first, and the upstream connection that carried the garbage
 * never carries another request.
 */

/** The response a hostile backend hides after (or inside) its first one. */
const SMUGGLED = 'HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nSMUGGLED';
const OK_HEAD = 'HTTP/1.1 200 OK\r\n';

interface Case {
  name: string;
  bytes: string;
  /** The backend closes its side after writing. */
  close?: boolean;
  /** `error`: a 502 from the proxy; `cut`: the answer had started, so it is cut off and the connection closed; `ok`: a valid answer. */
  outcome: 'error' | 'cut' | 'ok';
}

const chunkedHead = `${OK_HEAD}Transfer-Encoding: chunked\r\n\r\n`;

const CASES: Case[] = [
  // Framing: two ways to read one response is how a second one gets smuggled.
  { name: 'Content-Length and Transfer-Encoding', bytes: `${OK_HEAD}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, outcome: 'error' },
  { name: 'Transfer-Encoding then Content-Length', bytes: `${OK_HEAD}Transfer-Encoding: chunked\r\nContent-Length: 48\r\n\r\n0\r\n\r\n${SMUGGLED}`, outcome: 'error' },
  { name: 'differing duplicate Content-Length', bytes: `${OK_HEAD}Content-Length: 0\r\nContent-Length: 48\r\n\r\n${SMUGGLED}`, outcome: 'error' },
  { name: 'comma-listed Content-Length', bytes: `${OK_HEAD}Content-Length: 0, 48\r\n\r\n${SMUGGLED}`, outcome: 'error' },
  { name: 'signed Content-Length', bytes: `${OK_HEAD}Content-Length: +2\r\n\r\nok`, outcome: 'error' },
  { name: 'Content-Length beyond 15 digits', bytes: `${OK_HEAD}Content-Length: 1000000000000000000\r\n\r\nok`, outcome: 'error' },
  { name: 'Transfer-Encoding gzip, chunked', bytes: `${OK_HEAD}Transfer-Encoding: gzip, chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n`, outcome: 'error' },
  { name: 'Transfer-Encoding chunked, identity', bytes: `${OK_HEAD}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n${SMUGGLED}`, outcome: 'error' },
  { name: 'Transfer-Encoding xchunked', bytes: `${OK_HEAD}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, outcome: 'error' },
  { name: 'Transfer-Encoding twice', bytes: `${OK_HEAD}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, outcome: 'error' },
  // Line endings and bytes a head may not hold.
  { name: 'bare LF line endings', bytes: `HTTP/1.1 200 OK\nContent-Length: 0\n\n${SMUGGLED}`, outcome: 'error' },
  { name: 'bare LF in one header line', bytes: `${OK_HEAD}X-A: 1\nContent-Length: 0\r\n\r\n${SMUGGLED}`, outcome: 'error' },
  { name: 'bare CR', bytes: `${OK_HEAD}X-A: 1\rContent-Length: 0\r\n\r\n${SMUGGLED}`, outcome: 'error' },
  { name: 'NUL in a header value', bytes: `${OK_HEAD}X-A: a\0b\r\nContent-Length: 2\r\n\r\nok`, outcome: 'error' },
  { name: 'NUL in the reason phrase', bytes: 'HTTP/1.1 200 O\0K\r\nContent-Length: 2\r\n\r\nok', outcome: 'error' },
  { name: 'DEL in a header value', bytes: `${OK_HEAD}X-A: a\x7fb\r\nContent-Length: 2\r\n\r\nok`, outcome: 'error' },
  { name: 'obsolete line folding', bytes: `${OK_HEAD}X-A: a\r\n Content-Length: 48\r\nContent-Length: 0\r\n\r\n${SMUGGLED}`, outcome: 'error' },
  { name: 'space before the colon', bytes: `${OK_HEAD}Content-Length : 0\r\n\r\n${SMUGGLED}`, outcome: 'error' },
  { name: 'header line without a colon', bytes: `${OK_HEAD}Content-Length 0\r\n\r\n${SMUGGLED}`, outcome: 'error' },
  { name: 'two-digit status', bytes: 'HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n', outcome: 'error' },
  { name: 'status below 100', bytes: 'HTTP/1.1 099 Odd\r\nContent-Length: 0\r\n\r\n', outcome: 'error' },
  { name: 'no space after the status', bytes: 'HTTP/1.1 200OK\r\nContent-Length: 0\r\n\r\n', outcome: 'error' },
  { name: 'HTTP/1.2', bytes: 'HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n', outcome: 'error' },
  { name: 'lower-case protocol', bytes: 'http/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', outcome: 'error' },
  { name: 'not HTTP at all', bytes: 'SSH-2.0-OpenSSH_9.6\r\n\r\n', outcome: 'error' },
  { name: '101 to a request that asked for no upgrade', bytes: `HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n${SMUGGLED}`, outcome: 'error' },
  // Sizes and counts.
  { name: 'a storm of 100 Continue', bytes: `${'HTTP/1.1 100 Continue\r\n\r\n'.repeat(200)}${OK_HEAD}Content-Length: 2\r\n\r\nok`, outcome: 'error' },
  { name: 'a storm of 103 Early Hints', bytes: `${'HTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\n'.repeat(50)}${OK_HEAD}Content-Length: 2\r\n\r\nok`, outcome: 'error' },
  { name: 'a 100 KiB header', bytes: `${OK_HEAD}X-Big: ${'a'.repeat(100 * 1024)}\r\nContent-Length: 2\r\n\r\nok`, outcome: 'error' },
  { name: '300 headers', bytes: `${OK_HEAD}${'X-N: 1\r\n'.repeat(300)}Content-Length: 2\r\n\r\nok`, outcome: 'error' },
  // Early close.
  { name: 'close before any byte', bytes: '', close: true, outcome: 'error' },
  { name: 'close mid status line', bytes: 'HTTP/1.1 20', close: true, outcome: 'error' },
  { name: 'close mid head', bytes: `${OK_HEAD}Content-Le`, close: true, outcome: 'error' },
  { name: 'close mid body of known length', bytes: `${OK_HEAD}Content-Length: 100\r\n\r\nonly this`, close: true, outcome: 'cut' },
  { name: 'close mid chunked body', bytes: `${chunkedHead}5\r\nhello\r\n`, close: true, outcome: 'cut' },
  { name: 'close mid chunk', bytes: `${chunkedHead}10\r\nhel`, close: true, outcome: 'cut' },
  // Chunk framing, once the head has gone to the client.
  { name: 'chunk size not hex', bytes: `${chunkedHead}zz\r\nok\r\n0\r\n\r\n`, outcome: 'cut' },
  { name: 'negative chunk size', bytes: `${chunkedHead}-1\r\nok\r\n0\r\n\r\n`, outcome: 'cut' },
  { name: '0x chunk size', bytes: `${chunkedHead}0x2\r\nok\r\n0\r\n\r\n`, outcome: 'cut' },
  { name: 'chunk size with trailing space and no extension', bytes: `${chunkedHead}2 \r\nok\r\n0\r\n\r\n`, outcome: 'cut' },
  { name: 'chunk size of 13 hex digits', bytes: `${chunkedHead}1000000000000\r\nok\r\n0\r\n\r\n`, outcome: 'cut' },
  { name: 'bare LF after a chunk size', bytes: `${chunkedHead}2\nok\r\n0\r\n\r\n${SMUGGLED}`, outcome: 'cut' },
  { name: 'chunk data longer than its size', bytes: `${chunkedHead}2\r\nokXX\r\n0\r\n\r\n${SMUGGLED}`, outcome: 'cut' },
  // Valid answers with something after them: passed on, and the connection is not reused.
  { name: 'a second response glued to the first', bytes: `${OK_HEAD}Content-Length: 2\r\n\r\nok${SMUGGLED}`, outcome: 'ok' },
  { name: 'a body on a 204', bytes: `HTTP/1.1 204 No Content\r\n\r\n${SMUGGLED}`, outcome: 'ok' },
  { name: 'a second response after a chunked one', bytes: `${chunkedHead}2\r\nok\r\n0\r\n\r\n${SMUGGLED}`, outcome: 'ok' },
  { name: 'a second response after trailers', bytes: `${chunkedHead}2\r\nok\r\n0\r\nX-T: 1\r\n\r\n${SMUGGLED}`, outcome: 'ok' },
];

const GOOD = `${OK_HEAD}Content-Length: 4\r\n\r\ngood`;
/** How the client asks: a plain GET (the listener's fast path), or a POST with a body (node:http). */
const PATHS = {
  'fast path': 'GET /bad HTTP/1.1\r\nHost: t\r\n\r\n',
  'node:http': 'POST /bad HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n{}',
};

describe('hostile backends', () => {
  let current: Case = CASES[0]!;
  let backend: RawBackend;
  let dp: Dataplane;
  let port: number;

  beforeAll(async () => {
    backend = await startRawBackend((socket, head) => {
      if (!requestLine(head).includes(' /bad ')) return void socket.write(GOOD);
      if (current.bytes) socket.write(current.bytes, 'latin1');
      if (current.close) socket.end();
    });
    port = await freePort();
    dp = new Dataplane();
    // No retries and no ejection: each case meets this one backend, alone.
    const snapshot = snapshotFor(port, [{ name: 'hostile', port: backend.port }], { retries: { attempts: 0 }, outlierDetection: { enabled: false }, timeouts: { firstByteMs: 10_000 } });
    expect((await dp.applySnapshot(snapshot)).ok).toBe(true);
  });
  afterAll(async () => {
    await dp.stop();
    await backend.close();
  });

  for (const [path, request] of Object.entries(PATHS)) {
    for (const c of CASES) {
      it(`${path}: ${c.name} → ${c.outcome}`, async () => {
        current = c;
        const badBefore = backend.connections.flatMap((conn) => conn.requests).filter((h) => h.includes(' /bad ')).length;
        const client = await rawClient(port);
        try {
          client.send(request);
          if (c.outcome === 'cut') {
            // A 502 when the head was still held back (the bad body came before any of the body
            // went out), else the head and a close; never a close on nothing, on either path.
            await client.until((t) => parseResponses(t).responses.length >= 1);
            const { responses } = parseResponses(client.text());
            if (responses.length) expect(responses.map((r) => r.status)).toEqual([502]);
            else expect(client.text()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
          } else {
            await client.until((t) => parseResponses(t).responses.length >= 1);
            const first = parseResponses(client.text()).responses[0]!;
            if (c.outcome === 'error') expect(first.status).toBe(502);
            else expect(first.status).toBeLessThan(300);
            // The same client connection goes on, and its next answer is its own.
            client.send('GET /good HTTP/1.1\r\nHost: t\r\n\r\n');
            await client.until((t) => parseResponses(t).responses.length >= 2);
            expect(parseResponses(client.text()).responses[1]!.body).toBe('good');
          }
          expect((await get(port, '/good')).body).toBe('good');
          expect(client.text()).not.toContain('SMUGGLED');
          // A connection that carried a bad answer carried nothing after it.
          const bad = backend.connections.flatMap((conn) => conn.requests.map((h, i) => ({ bad: h.includes(' /bad '), last: i === conn.requests.length - 1 })));
          expect(bad.filter((r) => r.bad).length).toBe(badBefore + 1);
          expect(bad.filter((r) => r.bad && !r.last)).toEqual([]);
        } finally {
          client.socket.destroy();
        }
      });
    }
  }
});
