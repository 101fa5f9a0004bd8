import { connect as h2connect } from 'node:http2';
import { type AddressInfo, type Socket, connect } from 'node:net';
import { type TLSSocket, createServer as createTlsServer } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { pkiForThisFile } from '../../test-pki';
import { internalErrors } from '../../runtime/internal-errors';
import type { ClientRequest, ClientResponse } from '../client-exchange';
import { INTERNAL_ERROR_TEXT } from '../error-page';
import { H2Listener } from '../h2/h2-listener';
import { HttpListener, type HttpHandlers } from './http-listener';

/**
 * An exception thrown while one exchange is served (a bug anywhere under the listener's handler)
 * must cost that exchange only: its client gets a 500 when nothing of the answer has gone out
 * (the cut otherwise), its HTTP/1.1 connection closes, it is counted as an internal error, and
 * every other connection, and the next one, is served. Before, the fast path's dispatch loop was
 * left marked busy (the connection never served again and held until its idle timeout) and the
 * exception reached the event loop, on every path.
 */

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const tls = pkiForThisFile();

/**
 * The listener's handler: `/boom` throws before answering, `/late` throws after its head and a
 * first body piece went out, `/after` throws after its whole answer; anything else is answered `ok`.
 */
function serve(req: ClientRequest, res: ClientResponse): void {
  if (req.url === '/boom') throw new Error('a bug while serving');
  if (req.url === '/after') {
    res.writeHead(200, 'OK', ['Content-Length', '2']);
    res.end('ok');
    throw new Error('a bug after the answer');
  }
  if (req.url === '/late') {
    res.writeHead(200, 'OK', ['Content-Length', '10']);
    res.write(Buffer.from('12345'));
    throw new Error('a bug mid-answer');
  }
  res.writeHead(200, 'OK', ['Content-Length', '2']);
  res.end('ok');
}

const handlers: HttpHandlers = {
  request: serve,
  idleMs: () => 60_000,
  settings: () => ({ headTimeoutMs: 10_000, maxHeadBytes: 16_384, maxHeaders: 100 }),
  upgrade: (req) => {
    if (req.url === '/boom') throw new Error('a bug while serving an upgrade');
  },
};

async function startListener(): Promise<number> {
  const listener = new HttpListener(handlers);
  await new Promise<void>((r) => listener.server.listen(0, '127.0.0.1', r));
  cleanups.push(() => listener.close());
  return (listener.server.address() as AddressInfo).port;
}

/** Sends `bytes` on a new connection and resolves with everything the listener sent once it closed the connection. */
function exchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect({ port, host: '127.0.0.1' });
    cleanups.push(() => socket.destroy());
    let text = '';
    socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => resolve(text));
    socket.setTimeout(30_000, () => reject(new Error(`no close in 30 s; got: ${text}`)));
    socket.write(bytes, 'latin1');
  });
}

const status = (answer: string) => answer.slice(0, 12);

describe('an exception while serving one exchange', () => {
  it.each([
    ['the fast path', 'GET /boom HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['node:http’s path (a request with a body)', 'POST /boom HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx'],
    ['an upgrade', 'GET /boom HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n'],
  ])('on %s: the client gets a 500, its connection closes, it is counted, and the next connection is served', async (_, request) => {
    const port = await startListener();
    const before = internalErrors.counts.exchange;
    // A second request pipelined behind it is not served: the connection closes after the 500.
    const answer = await exchange(port, `${request}GET /ok HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(status(answer)).toBe('HTTP/1.1 500');
    expect(answer).toContain(INTERNAL_ERROR_TEXT);
    expect(answer.match(/HTTP\/1\.1 /g)?.length).toBe(1);
    expect(internalErrors.counts.exchange).toBe(before + 1);
    const next = await exchange(port, 'GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(status(next)).toBe('HTTP/1.1 200');
  });

  it.each([
    ['the fast path', 'GET /late HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['node:http’s path', 'POST /late HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx'],
  ])('on %s after part of the answer went out: the connection is cut, never completed with something else', async (_, request) => {
    const port = await startListener();
    const answer = await exchange(port, request);
    expect(status(answer)).toBe('HTTP/1.1 200');
    // The head and the five bytes written, and nothing after them: the client sees a cut answer.
    expect(answer.endsWith('12345')).toBe(true);
    expect(answer).not.toContain('500');
  });

  it.each([
    ['the fast path', 'GET /after HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['node:http’s path', 'POST /after HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx'],
  ])('on %s after the whole answer went out: the connection closes, and no 500 follows to be read as the next answer', async (_, request) => {
    const port = await startListener();
    const answer = await exchange(port, `${request}GET /ok HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(answer.match(/HTTP\/1\.1 \d{3}/g)).toEqual(['HTTP/1.1 200']);
    expect(answer.endsWith('\r\n\r\nok')).toBe(true);
  });

  it('on HTTP/2: the stream gets a 500 and the session serves on', async () => {
    const h2 = new H2Listener(handlers);
    const server = createTlsServer({ key: tls.leaf.key, cert: tls.leaf.chain, ALPNProtocols: ['h2'] }, (socket: TLSSocket) => h2.accept(socket));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => server.close(r)));
    cleanups.push(() => h2.close());
    const session = h2connect(`https://127.0.0.1:${(server.address() as AddressInfo).port}`, { ca: tls.pki.ca, servername: 'app.example.com' });
    session.on('error', () => {});
    cleanups.push(() => session.destroy());
    const get = (path: string) =>
      new Promise<{ status: number; body: string }>((resolve) => {
        const stream = session.request({ ':path': path, ':authority': 'app.example.com' });
        let status = 0;
        let body = '';
        stream.on('response', (h) => (status = Number(h[':status'])));
        stream.setEncoding('latin1');
        stream.on('data', (c: string) => (body += c));
        stream.on('error', () => {});
        stream.on('close', () => resolve({ status, body }));
      });
    const before = internalErrors.counts.exchange;
    expect(await get('/boom')).toEqual({ status: 500, body: INTERNAL_ERROR_TEXT });
    expect(internalErrors.counts.exchange).toBe(before + 1);
    expect(await get('/ok')).toEqual({ status: 200, body: 'ok' });
  });
});
