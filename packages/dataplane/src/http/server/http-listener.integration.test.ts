import { connect, createServer as createNetServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Dataplane } from '../../dataplane';
import { applyOnFreePort, snapshotFor, startBackend } from '../../test-support';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A backend that answers `METHOD path body` as text, so each answer says which request it is. */
async function echoProxy(pool = {}) {
  const backend = await startBackend('echo', (req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`${req.method} ${req.url} ${body}`.trim());
    });
  });
  cleanups.push(() => backend.close());
  const dp = new Dataplane();
  cleanups.push(() => dp.stop());
  const port = await applyOnFreePort(dp, (p) => snapshotFor(p, [{ name: 'echo', port: backend.port }], pool));
  return port;
}

interface Raw {
  /** Everything the proxy sent so far. */
  text(): string;
  send(bytes: string): void;
  /** Resolves once the proxy has sent `n` answers (counted by status line); rejects after 30 s (a hang). */
  answers(n: number): Promise<string[]>;
  closed: Promise<void>;
}

/** A client connection speaking raw bytes, to send what fetch never would (pipelining, malformed heads). */
async function rawClient(port: number): Promise<Raw> {
  const socket = connect({ port, host: '127.0.0.1' });
  await new Promise<void>((r) => socket.once('connect', () => r()));
  cleanups.push(async () => void socket.destroy());
  let text = '';
  const waiters: (() => void)[] = [];
  socket.on('data', (c: Buffer) => {
    text += c.toString('latin1');
    for (const w of waiters) w();
  });
  socket.on('error', () => {});
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  const split = () => text.split(/(?=HTTP\/1\.1 \d{3} )/).filter(Boolean);
  return {
    text: () => text,
    send: (bytes) => void socket.write(bytes, 'latin1'),
    answers: (n) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${split().length} of ${n} answers: ${text}`)), 30_000);
        const check = () => {
          if (split().length >= n && text.endsWith(split().at(-1)!) && complete(split().at(-1)!)) {
            clearTimeout(timer);
            resolve(split());
          }
        };
        waiters.push(check);
        check();
      }),
    closed,
  };
}

/** An answer whose body (by Content-Length, or chunked to its last chunk) has fully arrived. */
function complete(answer: string): boolean {
  const [head, ...rest] = answer.split('\r\n\r\n');
  const body = rest.join('\r\n\r\n');
  const length = /content-length: (\d+)/i.exec(head!);
  if (length) return body.length >= Number(length[1]);
  if (/transfer-encoding: chunked/i.test(head!)) return body.endsWith('0\r\n\r\n');
  return true;
}

/** An answer's body, de-chunked when it came chunked. */
function bodyOf(answer: string): string {
  const at = answer.indexOf('\r\n\r\n');
  let rest = answer.slice(at + 4);
  if (!/\r\ntransfer-encoding: chunked\r\n/i.test(answer.slice(0, at + 2))) return rest;
  let body = '';
  for (;;) {
    const eol = rest.indexOf('\r\n');
    const size = parseInt(rest.slice(0, eol), 16);
    if (!size) return body;
    body += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 4 + size);
  }
}

describe('HTTP listener', () => {
  it('answers pipelined requests in order on one connection', async () => {
    const port = await echoProxy();
    const c = await rawClient(port);
    c.send(['/one', '/two', '/three'].map((p) => `GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`).join(''));
    const answers = await c.answers(3);
    expect(answers.map(bodyOf)).toEqual(['GET /one', 'GET /two', 'GET /three']);
    expect(answers.every((a) => /^HTTP\/1\.1 200 OK\r\n/.test(a) && /\r\nConnection: keep-alive\r\n/.test(a))).toBe(true);
  });

  it('hands a connection to node:http at its first request with a body, which serves it and the rest', async () => {
    const port = await echoProxy();
    const c = await rawClient(port);
    c.send('GET /before HTTP/1.1\r\nHost: x\r\n\r\n');
    await c.answers(1);
    c.send('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello');
    c.send('GET /after HTTP/1.1\r\nHost: x\r\n\r\n');
    const chunkedUpload = 'PUT /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n';
    c.send(chunkedUpload);
    const answers = await c.answers(4);
    expect(answers.map(bodyOf)).toEqual(['GET /before', 'POST /upload hello', 'GET /after', 'PUT /chunked abc']);
  });

  it("keeps each connection's bytes its own while every connection's reads land in one buffer", async () => {
    const port = await echoProxy();
    const a = await rawClient(port);
    const b = await rawClient(port);
    // A's head arrives in pieces; after each, another connection's read fills the same buffer with
    // other bytes (B's answer means B's read came after A's piece was read). A piece held by
    // reference, not copied, would come out as B's bytes.
    const aHead = `GET /${'a'.repeat(300)} HTTP/1.1\r\nHost: x\r\nX-Long: ${'A'.repeat(300)}\r\n\r\n`;
    const pieces = aHead.match(/[\s\S]{1,40}/g)!;
    const bPath = (i: number) => `/${'b'.repeat(600)}${i}`;
    for (const [i, piece] of pieces.entries()) {
      a.send(piece);
      b.send(`GET ${bPath(i)} HTTP/1.1\r\nHost: x\r\n\r\n`);
      await b.answers(i + 1);
    }
    const [answer] = await a.answers(1);
    expect(bodyOf(answer!)).toBe(`GET /${'a'.repeat(300)}`);
    expect((await b.answers(pieces.length)).map(bodyOf)).toEqual(pieces.map((_, i) => `GET ${bPath(i)}`));
  });

  it("keeps pipelined requests held behind a slow answer intact while other connections' reads reuse the buffer", async () => {
    let release = () => {};
    const released = new Promise<void>((r) => (release = r));
    let slowArrived = () => {};
    const slow = new Promise<void>((r) => (slowArrived = r));
    const backend = await startBackend('gated', (req, res) => {
      const answer = () => res.end(`${req.method} ${req.url}`);
      if (req.url !== '/slow') return answer();
      slowArrived();
      void released.then(answer);
    });
    cleanups.push(() => backend.close());
    const dp = new Dataplane();
    cleanups.push(() => dp.stop());
    const port = await applyOnFreePort(dp, (p) => snapshotFor(p, [{ name: 'gated', port: backend.port }]));
    const a = await rawClient(port);
    const b = await rawClient(port);
    // A's read holds three requests; the second and third wait, held by the proxy, while /slow is
    // served, and B's reads land in the same buffer meanwhile. Held by reference, they would be B's bytes.
    const aPaths = ['/slow', `/${'a'.repeat(400)}`, `/${'c'.repeat(300)}`];
    a.send(aPaths.map((p) => `GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`).join(''));
    await slow;
    const bPaths = Array.from({ length: 4 }, (_, i) => `/${'b'.repeat(800)}${i}`);
    for (const [i, p] of bPaths.entries()) {
      b.send(`GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`);
      await b.answers(i + 1);
    }
    release();
    expect((await a.answers(3)).map(bodyOf)).toEqual(aPaths.map((p) => `GET ${p}`));
    expect((await b.answers(4)).map(bodyOf)).toEqual(bPaths.map((p) => `GET ${p}`));
  });

  it('hands node:http a connection whose reads landed in the shared buffer, its upload intact', async () => {
    const port = await echoProxy();
    const a = await rawClient(port);
    const b = await rawClient(port);
    a.send('GET /first HTTP/1.1\r\nHost: x\r\n\r\n');
    await a.answers(1);
    const pieces = Array.from({ length: 12 }, (_, i) => `piece-${i}-${'u'.repeat(200)};`);
    const body = pieces.join('');
    a.send(`POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${pieces[0]}`);
    for (let i = 1; i < pieces.length; i++) {
      b.send(`GET /${'b'.repeat(600)}${i} HTTP/1.1\r\nHost: x\r\n\r\n`);
      await b.answers(i);
      a.send(pieces[i]!);
    }
    a.send('GET /after HTTP/1.1\r\nHost: x\r\n\r\n');
    const answers = await a.answers(3);
    expect(answers.map(bodyOf)).toEqual(['GET /first', `POST /upload ${body}`, 'GET /after']);
  });

  it('leaves malformed requests to node:http, which refuses them with 400', async () => {
    const port = await echoProxy();
    for (const bad of [
      'GET / HTTP/1.1\r\nHost: x\r\nBad Name: 1\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\nX-Ctl: a\x01b\r\n\r\n',
      'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      'GET / HTTP/1.1\r\n\r\n',
    ]) {
      const c = await rawClient(port);
      c.send(bad);
      const [answer] = await c.answers(1);
      expect(answer, JSON.stringify(bad)).toMatch(/^HTTP\/1\.1 400 /);
      await c.closed;
    }
  });

  it('closes the connection after answering Connection: close and HTTP/1.0 requests', async () => {
    const port = await echoProxy();
    const closeAsked = await rawClient(port);
    closeAsked.send('GET /bye HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await closeAsked.closed;
    expect(closeAsked.text()).toMatch(/\r\nConnection: close\r\n/);
    expect(bodyOf(closeAsked.text())).toBe('GET /bye');
    const old = await rawClient(port);
    old.send('GET /old HTTP/1.0\r\nHost: x\r\n\r\n');
    await old.closed;
    expect(old.text()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(bodyOf(old.text())).toBe('GET /old');
    // Without a Host the request still reaches an HTTP/1.1 backend, with the backend's address as Host.
    const hostless = await rawClient(port);
    hostless.send('GET /no-host HTTP/1.0\r\n\r\n');
    await hostless.closed;
    expect(hostless.text()).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(bodyOf(hostless.text())).toBe('GET /no-host');
  });

  it('re-frames a body of unknown length as chunked, sends none for HEAD, and refuses a forbidden header byte with 502', async () => {
    const streaming = await startBackend('stream', (req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      if (req.method === 'HEAD') return void res.end();
      res.write('first ');
      setTimeout(() => res.end('second'), 20);
    });
    cleanups.push(() => streaming.close());
    const bad = createNetServer((s) => s.once('data', () => s.end('HTTP/1.1 200 OK\r\nX-Bad: a\x01b\r\nContent-Length: 2\r\n\r\nok')));
    await new Promise<void>((r) => bad.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => bad.close(r)));
    const dp = new Dataplane();
    cleanups.push(() => dp.stop());
    const port = await applyOnFreePort(dp, (p) => snapshotFor(p, [{ name: 'stream', port: streaming.port }]));

    const c = await rawClient(port);
    c.send('GET / HTTP/1.1\r\nHost: x\r\n\r\nHEAD / HTTP/1.1\r\nHost: x\r\n\r\n');
    const [get, head] = await c.answers(2);
    expect(get).toMatch(/\r\nTransfer-Encoding: chunked\r\n/);
    expect(get!.slice(get!.indexOf('\r\n\r\n') + 4)).toBe('6\r\nfirst \r\n6\r\nsecond\r\n0\r\n\r\n');
    expect(bodyOf(head!)).toBe('');

    await dp.applySnapshot(snapshotFor(port, [{ name: 'bad', port: (bad.address() as { port: number }).port }], { retries: { attempts: 0 } }));
    const r = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5000) });
    expect(r.status).toBe(502);
    // The response parser refuses the byte itself (before it could reach a client's parser).
    expect(r.headers.get('x-fulcrum-error')).toMatch(/invalid header|invalid response: control character/);
  });

  it("holds connections to the pool's idle timeout, and answers 408 to a head that never completes", async () => {
    const port = await echoProxy({ timeouts: { idleMs: 300 } });
    const idle = await rawClient(port);
    // Timed from the request, not the answer: on a busy machine the answer can be read late,
    // even after the idle close; the idle timer starts after the request in any case.
    const started = performance.now();
    idle.send('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await idle.answers(1);
    await idle.closed;
    expect(performance.now() - started).toBeGreaterThanOrEqual(295);
    const slow = await rawClient(port);
    slow.send('GET / HTTP/1.1\r\nHo');
    await slow.closed;
    expect(slow.text()).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
  });
});
