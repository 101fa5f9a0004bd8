import { connect as h2connect } from 'node:http2';
import { connect as netConnect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { pkiForThisFile } from '../../test-pki';
import { Dataplane } from '../../dataplane';
import { applyOnFreePort, eventually, get, httpsSnapshot, pseudoRandomBytes, sha256 as digest, snapshotFor, startBackend } from '../../test-support';

/**
 * Heads and small body pieces are read into one buffer every upstream connection shares
 * (`UpstreamConnection`'s READ_BUFFER): any connection's next read overwrites it. The class of
 * defect this guards: a piece of it kept past its read without a copy (node:http queueing a
 * write, node:http2 waiting to frame one, a tunnel's socket), so the client gets bytes of a later
 * read, of any connection, in place of its own. Each answer here is pseudo-random and small
 * enough to come through the shared buffer (a body under 16 KiB, or a tunnel's bytes), and is
 * held by the proxy past its read: answers queued behind a pipelined one that waits, HTTP/2
 * writes waiting for their session to frame them, a tunnel to a client that reads nothing for a
 * while (more than the sockets' kernel buffers hold). Other answers go through the same buffer
 * meanwhile; every body is checked whole. Each test fails when the read is handed on uncopied.
 */

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const tls = pkiForThisFile();

/** A tunnel's bytes: more than the kernel's socket buffers take on loopback, so the proxy's writes wait. */
const SIZE = 16 * 1024 * 1024 + 777;
const PIECE = 4096;
const body = pseudoRandomBytes(7, SIZE);
/** The small answers: each its own bytes, with a Content-Length (bodies of unknown length are read into bulk buffers). */
const SMALL = 12_000;
const smallBody = (i: number) => pseudoRandomBytes(1000 + i, SMALL);

/** Writes `body` in small pieces, one per turn of the event loop, so each arrives in a read of its own size. */
function writeInPieces(write: (piece: Buffer) => boolean, onceDrain: (fn: () => void) => void, done: () => void): void {
  let at = 0;
  const next = (): void => {
    while (at < SIZE) {
      const piece = body.subarray(at, at + PIECE);
      at += PIECE;
      if (!write(piece)) return onceDrain(() => setImmediate(next));
      if (at % (16 * PIECE) === 0) return void setImmediate(next);
    }
    done();
  };
  next();
}

/** Small answers on other connections while `until` is pending: each read of theirs lands in the shared buffer. */
function smallTraffic(port: number, path: string, want: string): { stop(): Promise<number> } {
  let done = false;
  const loop = (async () => {
    let n = 0;
    while (!done) {
      expect((await get(port, path)).body).toBe(want);
      n++;
    }
    return n;
  })();
  loop.catch(() => {});
  return {
    stop: async () => {
      done = true;
      return loop;
    },
  };
}

/** Collects a stream's bytes, reading nothing for the first 300 ms (the proxy's writes queue meanwhile). */
function slowRead(stream: NodeJS.ReadableStream & { pause(): unknown; resume(): unknown }): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    stream.pause();
    stream.on('data', (c: Buffer) => parts.push(c));
    stream.on('end', () => resolve(Buffer.concat(parts)));
    stream.on('error', reject);
    setTimeout(() => stream.resume(), 300);
  });
}

/**
 * Answers `/small/N` with `smallBody(N)` (Content-Length), holds `/held` until `release()`, and
 * answers anything else `small`.
 */
async function smallBackend() {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const backend = await startBackend('small', (req, res) => {
    req.resume();
    req.on('end', () => {
      const n = /^\/small\/(\d+)$/.exec(req.url ?? '')?.[1];
      if (n !== undefined) {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': SMALL });
        return void res.end(smallBody(Number(n)));
      }
      if (req.url === '/held') return void released.then(() => res.end('held'));
      res.end('small');
    });
  });
  cleanups.push(() => backend.close());
  return Object.assign(backend, { release: () => release() });
}

/** The bodies of the HTTP/1.1 answers (each with a Content-Length) in `wire`, in order. */
function bodiesOf(wire: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at < wire.length) {
    const end = wire.indexOf('\r\n\r\n', at);
    expect(end).toBeGreaterThan(at);
    const head = wire.subarray(at, end).toString('latin1');
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1]);
    out.push(wire.subarray(end + 4, end + 4 + length));
    at = end + 4 + length;
  }
  return out;
}

const COUNT = 24;
/**
 * A stream's write waits in node:http2 until the session frames it, at the end of the event
 * loop's turn: with this many answers at once, several of their reads share a turn.
 */
const H2_STREAMS = 400;

describe('small body pieces read through the shared read buffer', () => {
  it('reach the client intact when node:http queues answers behind a pipelined one that waits', async () => {
    const backend = await smallBackend();
    const dp = new Dataplane({ runHealthChecks: false });
    cleanups.push(() => dp.stop());
    const port = await applyOnFreePort(dp, (p) => snapshotFor(p, [{ name: 'small', port: backend.port }]));
    const client = netConnect({ host: '127.0.0.1', port });
    cleanups.push(() => client.destroy());
    const parts: Buffer[] = [];
    client.on('data', (c: Buffer) => parts.push(c));
    const closed = new Promise((r) => client.on('close', r));
    // A request with a body: node:http serves this connection, and answers in order.
    let wire = 'POST /held HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx';
    for (let i = 0; i < COUNT; i++) wire += `GET /small/${i} HTTP/1.1\r\nHost: x\r\n\r\n`;
    client.write(`${wire}GET /small/${COUNT} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    // Every answer but the first has come from its backend and waits behind it.
    await eventually(() => backend.hits === COUNT + 2, 30_000, 'every request reached the backend');
    for (let i = 0; i < 20; i++) expect((await get(port, '/other')).body).toBe('small');
    backend.release();
    await closed;
    const bodies = bodiesOf(Buffer.concat(parts));
    expect(bodies.length).toBe(COUNT + 2);
    expect(bodies[0]!.toString()).toBe('held');
    for (let i = 0; i <= COUNT; i++) expect(digest(bodies[i + 1]!), `answer ${i}`).toBe(digest(smallBody(i)));
  }, 60_000);

  it('reach an HTTP/2 client intact when many arrive at once', async () => {
    const backend = await smallBackend();
    const dp = new Dataplane({ runHealthChecks: false });
    cleanups.push(() => dp.stop());
    const port = await applyOnFreePort(dp, (p) => httpsSnapshot(p, backend.port, [{ id: 'app', version: 1, leaf: tls.leaf }], { tls: { http2: true } }));
    const session = h2connect(`https://127.0.0.1:${port}`, { ca: tls.pki.ca, servername: 'app.example.com' });
    session.on('error', () => {});
    cleanups.push(() => session.destroy());
    const got = Array.from({ length: H2_STREAMS }, (_, i) => slowRead(session.request({ ':path': `/small/${i}`, ':authority': 'app.example.com' })));
    const bodies = await Promise.all(got);
    for (let i = 0; i < H2_STREAMS; i++) expect(digest(bodies[i]!), `answer ${i}`).toBe(digest(smallBody(i)));
  }, 60_000);

  it('reach a slow client intact through a tunnel', async () => {
    // A backend that switches protocols, then sends the body in small pieces and closes.
    const backend = await startBackend('tunnel', (req, res) => {
      req.resume();
      res.end('small');
    });
    backend.server.on('upgrade', (_req, socket) => {
      socket.on('error', () => {});
      socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: pieces\r\n\r\n');
      writeInPieces(
        (p) => socket.write(p),
        (fn) => socket.once('drain', fn),
        () => socket.end(),
      );
    });
    cleanups.push(() => backend.close());
    const dp = new Dataplane({ runHealthChecks: false });
    cleanups.push(() => dp.stop());
    const port = await applyOnFreePort(dp, (p) => snapshotFor(p, [{ name: 'tunnel', port: backend.port }]));
    const small = smallTraffic(port, '/small', 'small');
    const client = netConnect({ host: '127.0.0.1', port });
    cleanups.push(() => client.destroy());
    client.write('GET /t HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: pieces\r\n\r\n');
    const all = await slowRead(client);
    expect(await small.stop()).toBeGreaterThan(0);
    const split = all.indexOf('\r\n\r\n');
    expect(all.subarray(0, 12).toString('latin1')).toBe('HTTP/1.1 101');
    const got = all.subarray(split + 4);
    expect(got.length).toBe(SIZE);
    expect(digest(got)).toBe(digest(body));
  }, 120_000);
});
