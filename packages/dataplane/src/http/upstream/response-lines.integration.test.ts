import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dataplane } from '../../dataplane';
import { freePort, snapshotFor } from '../../test-support';
import { type RawBackend, parseResponses, rawClient, requestLine, startRawBackend } from './raw-test-peers';

/**
 * A backend's header lines reach the client as the proxy writes lines (`Name: value`), whether
 * they are passed on as they came or rebuilt from their pairs: hop-by-hop ones and those the
 * Connection header names are gone, loose whitespace is not passed on.
 */
const ANSWERS: Record<string, string> = {
  '/written': 'HTTP/1.1 200 OK\r\nX-A: 1\r\nKeep-Alive: timeout=5\r\nConnection: keep-alive\r\nX-B: two words\r\nContent-Length: 2\r\n\r\nok',
  '/loose': 'HTTP/1.1 200 OK\r\nX-A:\t1\r\nX-B:2\r\nX-C: 3  \r\nContent-Length: 2\r\n\r\nok',
  '/named': 'HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Secret\r\nX-Secret: s\r\nX-A: 1\r\nContent-Length: 2\r\n\r\nok',
  '/chunked': 'HTTP/1.1 200 OK\r\nX-A: 1\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n\r\n2\r\nok\r\n0\r\n\r\n',
};

/** The head's field lines as the client got them. */
function fieldLines(text: string): string[] {
  return text.slice(0, text.indexOf('\r\n\r\n')).split('\r\n').slice(1);
}

describe('response head lines', () => {
  let backend: RawBackend;
  let dp: Dataplane;
  let port: number;

  beforeAll(async () => {
    backend = await startRawBackend((socket, head) => {
      socket.write(ANSWERS[requestLine(head).split(' ')[1]!]!, 'latin1');
    });
    port = await freePort();
    dp = new Dataplane();
    expect((await dp.applySnapshot(snapshotFor(port, [{ name: 'lines', port: backend.port }]))).ok).toBe(true);
  });
  afterAll(async () => {
    await dp.stop();
    await backend.close();
  });

  const cases: [string, string[]][] = [
    ['/written', ['X-A: 1', 'X-B: two words', 'Content-Length: 2', 'Connection: keep-alive']],
    ['/loose', ['X-A: 1', 'X-B: 2', 'X-C: 3', 'Content-Length: 2', 'Connection: keep-alive']],
    ['/named', ['X-A: 1', 'Content-Length: 2', 'Connection: keep-alive']],
    ['/chunked', ['X-A: 1', 'Transfer-Encoding: chunked', 'Connection: keep-alive']],
  ];
  for (const [path, want] of cases) {
    it(`${path}: the client gets ${want.join(', ')}`, async () => {
      const client = await rawClient(port);
      try {
        client.send(`GET ${path} HTTP/1.1\r\nHost: t\r\n\r\n`);
        await client.until((t) => parseResponses(t).responses.length >= 1);
        expect(parseResponses(client.text()).responses[0]!.body).toBe('ok');
        expect(fieldLines(client.text())).toEqual(want);
      } finally {
        client.socket.destroy();
      }
    });
  }
});
