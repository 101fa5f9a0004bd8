import { afterEach, describe, expect, it } from 'vitest';
import { Dataplane } from '../dataplane';
import { eventually, freePort, get, snapshotFor } from '../test-support';
import { headOf, parseResponses, rawClient, requestLine, startRawBackend } from './upstream/raw-test-peers';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function proxyTo(backends: { name: string; port: number; maxConnections?: number }[], pool = {}) {
  const port = await freePort();
  const dp = new Dataplane();
  cleanups.push(() => dp.stop());
  expect((await dp.applySnapshot(snapshotFor(port, backends, pool))).ok).toBe(true);
  return { dp, port };
}

const ok = (body: string, extra = '') => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n${extra}\r\n${body}`;
const chunk = (s: string) => `${s.length.toString(16)}\r\n${s}\r\n`;

describe('upstream connections and backpressure', () => {
  it('a connection that was paused for a slow client is resumed before another request gets it', async () => {
    // A pipelined pair on one client connection (node:http path): the second answer is queued
    // behind the first, so the proxy is told to wait (write() is false) in the same read that
    // completes the second answer, and node:http never emits 'drain' for a finished response.
    let releaseHold: (() => void) | undefined;
    const piece = 'x'.repeat(1000);
    const backend = await startRawBackend((socket, head) => {
      const line = requestLine(head);
      if (line.startsWith('POST /hold')) {
        releaseHold = () => socket.write(ok('held', 'Connection: close\r\n'), () => socket.end());
      } else if (line.startsWith('GET /chunked')) {
        socket.write(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${chunk(piece).repeat(250)}`);
        // The rest, with the end of the body, in one write a moment later: one read at the proxy.
        setTimeout(() => socket.write(`${chunk(piece).repeat(12)}0\r\n\r\n`), 100);
      } else {
        socket.write(ok('next'));
      }
    });
    cleanups.push(() => backend.close());
    const { dp, port } = await proxyTo([{ name: 'b', port: backend.port }], { timeouts: { firstByteMs: 3000 } });
    const b = dp.pool('test')!.backends[0]!;

    const client = await rawClient(port);
    cleanups.push(() => void client.socket.destroy());
    client.send('POST /hold HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n\r\nx' + 'GET /chunked HTTP/1.1\r\nHost: t\r\n\r\n');
    await eventually(() => releaseHold !== undefined && backend.connections.length === 2);
    // The chunked answer has been read to its end (its slot is free) while the first still holds.
    await eventually(() => b.state.active === 1);
    releaseHold!();
    await client.until((t) => parseResponses(t).responses.length === 2);
    const [first, second] = parseResponses(client.text()).responses;
    expect(first!.body).toBe('held');
    expect(second!.body).toBe(piece.repeat(262));

    const next = await get(port, '/next');
    expect(next.status).toBe(200);
    expect(next.body).toBe('next');
    expect(b.state.stats.totals.errors).toEqual({ connect: 0, timeout: 0, reset: 0 });
    // It went out on the connection the chunked answer used (kept alive), not a new one.
    expect(backend.connections.length).toBe(2);
    expect(backend.connections[1]!.requests.map(requestLine)).toEqual(['GET /chunked HTTP/1.1', 'GET /next HTTP/1.1']);
  });

  it('a client reading a large chunked answer in bursts gets all of it, and the backend stays fit for the next request', async () => {
    const piece = 'y'.repeat(1000);
    const pieces = 3000;
    const backend = await startRawBackend((socket, head) => {
      if (!requestLine(head).startsWith('GET /big')) return void socket.write(ok('next'));
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
      let sent = 0;
      const pump = () => {
        while (sent < pieces) {
          sent++;
          // Many small chunks per read, and the end of the body in the same read as the last of them.
          if (!socket.write(sent === pieces ? `${chunk(piece)}0\r\n\r\n` : chunk(piece))) return void socket.once('drain', pump);
        }
      };
      pump();
    });
    cleanups.push(() => backend.close());
    const { dp, port } = await proxyTo([{ name: 'b', port: backend.port }], { timeouts: { firstByteMs: 3000 } });
    const b = dp.pool('test')!.backends[0]!;
    const client = await rawClient(port);
    cleanups.push(() => void client.socket.destroy());
    // Reads in bursts: paused most of the time, so the proxy's writes to it keep backing up.
    const bursts = setInterval(() => {
      client.socket.resume();
      setTimeout(() => client.socket.pause(), 2);
    }, 15);
    cleanups.push(() => clearInterval(bursts));
    client.send('GET /big HTTP/1.1\r\nHost: t\r\n\r\n');
    await client.until((t) => t.endsWith('\r\n0\r\n\r\n'), 120_000);
    clearInterval(bursts);
    client.socket.resume();
    expect(parseResponses(client.text()).responses[0]!.body.length).toBe(piece.length * pieces);
    const next = await get(port, '/next');
    expect(`${next.status} ${next.body}`).toBe('200 next');
    expect(b.state.stats.totals.errors).toEqual({ connect: 0, timeout: 0, reset: 0 });
  });
});

describe('pipelining', () => {
  it('with maxConnections 1, three pipelined requests all reach the backend', async () => {
    const backend = await startRawBackend((socket, head) => socket.write(ok(requestLine(head).split(' ')[1]!)));
    cleanups.push(() => backend.close());
    const { port } = await proxyTo([{ name: 'b', port: backend.port, maxConnections: 1 }]);
    const client = await rawClient(port);
    cleanups.push(() => void client.socket.destroy());
    client.send(['/1', '/2', '/3'].map((p) => `GET ${p} HTTP/1.1\r\nHost: t\r\n\r\n`).join(''));
    await client.until((t) => parseResponses(t).responses.length === 3);
    expect(parseResponses(client.text()).responses.map((r) => `${r.status} ${r.body}`)).toEqual(['200 /1', '200 /2', '200 /3']);
  });

  it('a client that half-closes after pipelining gets every answer, even ones given at once', async () => {
    let releaseFirst: (() => void) | undefined;
    const backend = await startRawBackend((socket) => {
      releaseFirst = () => socket.write(ok('first'));
    });
    cleanups.push(() => backend.close());
    const { dp, port } = await proxyTo([{ name: 'b', port: backend.port }]);
    const client = await rawClient(port, { allowHalfOpen: true });
    cleanups.push(() => void client.socket.destroy());
    client.send(['/1', '/2', '/3'].map((p) => `GET ${p} HTTP/1.1\r\nHost: t\r\n\r\n`).join(''));
    client.socket.end();
    await eventually(() => releaseFirst !== undefined);
    // The backend is disabled while the first request is in flight: the next two are answered 503 at once.
    expect((await dp.applySnapshot(snapshotFor(port, [{ name: 'b', port: backend.port, adminState: 'disabled' }]))).ok).toBe(true);
    releaseFirst!();
    await client.until(() => false);
    expect(parseResponses(client.text()).responses.map((r) => r.status)).toEqual([200, 503, 503]);
  });
});

describe('upgrades', () => {
  it('a refused upgrade is an ordinary answer: the next bytes on the connection never reach the backend raw', async () => {
    for (const refusal of ['HTTP/1.1 400 Bad Request\r\nContent-Length: 2\r\n\r\nno', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok']) {
      const backend = await startRawBackend((socket) => socket.write(refusal));
      const { port } = await proxyTo([{ name: 'b', port: backend.port }]);
      const client = await rawClient(port);
      client.send('GET /chat HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
      await client.until((t) => parseResponses(t).responses.length === 1);
      client.send('GET /admin HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 127.0.0.1\r\n\r\n');
      await client.until((t) => parseResponses(t).responses.length === 2);
      const { responses } = parseResponses(client.text());
      expect(responses[0]!.status).toBe(Number(refusal.slice(9, 12)));
      // Whatever reached the backend went through the proxy: each request carries the proxy's X-Forwarded-For.
      const heads = backend.connections.flatMap((c) => c.requests);
      for (const head of heads) expect(headOf(head, 'x-forwarded-for')).toMatch(/^(127\.0\.0\.1, )?127\.0\.0\.1$/);
      expect(heads.filter((h) => requestLine(h).startsWith('GET /admin')).every((h) => headOf(h, 'x-forwarded-for') === '127.0.0.1, 127.0.0.1')).toBe(true);
      client.socket.destroy();
      await backend.close();
    }
  });

  it('a refused upgrade closes once the client has its answer and leaves, rather than staying open for good', async () => {
    const backend = await startRawBackend((socket) => socket.write(ok('never')));
    cleanups.push(() => backend.close());
    const { dp, port } = await proxyTo([{ name: 'b', port: backend.port }]);
    const open = () => dp.connections().open;
    // Both refused 400 after node:http let go of the socket (an upgrade is handed over at its head).
    for (const request of [
      'GET /chat HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nContent-Length: 3\r\n\r\nabc',
      'GET /chat HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nContent-Length: 60\r\n\r\nten bytes.',
      // On a connection node:http already serves (after an upload), refused by the proxy's own check: two Hosts.
      'POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nokGET /chat HTTP/1.1\r\nHost: t\r\nHost: u\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
    ]) {
      for (const ends of ['after', 'first', 'never'] as const) {
        const client = await rawClient(port, { allowHalfOpen: true });
        cleanups.push(() => void client.socket.destroy());
        client.send(request);
        // The client ends its side after its answer, at once (before the proxy has read its head),
        // or never: a client holding the connection open is cut after a bounded wait.
        if (ends === 'first') client.socket.end();
        await client.until((t) => parseResponses(t).responses.some((r) => r.status === 400));
        if (ends === 'after') client.socket.end();
        // The proxy must see that end and close: a connection left open for good is an fd lost.
        await eventually(() => open() === 0);
      }
      // The refused upgrade itself never reached the backend.
      expect(backend.connections.flatMap((c) => c.requests).some((h) => requestLine(h).startsWith('GET /chat'))).toBe(false);
    }
  });

  it('a silent tunnel closes at the idle timeout without counting as an error of its backend', async () => {
    const backend = await startRawBackend((socket) => {
      socket.removeAllListeners('data');
      socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
    });
    cleanups.push(() => backend.close());
    const { dp, port } = await proxyTo([{ name: 'b', port: backend.port }], { timeouts: { idleMs: 300 } });
    const b = dp.pool('test')!.backends[0]!;
    for (let i = 0; i < 2; i++) {
      const client = await rawClient(port);
      cleanups.push(() => void client.socket.destroy());
      client.send('GET /chat HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
      await client.until((t) => t.includes('\r\n\r\n'));
      // Neither side says a word: the tunnel is closed (an fd is not held for good), as
      // HAProxy's `timeout tunnel` or NGINX's proxy_read_timeout would.
      await eventually(() => client.closed);
    }
    await eventually(() => dp.connections().open === 0 && b.state.active === 0);
    // An idle WebSocket is no failure of its backend: counted as one, a few idle clients in a row
    // would eject a healthy backend (outlier detection counts consecutive timeouts).
    expect(b.state.stats.totals.errors).toEqual({ connect: 0, timeout: 0, reset: 0 });
    expect(b.state.consecutiveErrors).toBe(0);
  });

  it('a tunnel lives under the pool’s tunnel timeout, not its idle timeout, and closes at it without counting as an error', async () => {
    const backend = await startRawBackend((socket) => {
      socket.removeAllListeners('data');
      socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
    });
    cleanups.push(() => backend.close());
    const { dp, port } = await proxyTo([{ name: 'b', port: backend.port }], { timeouts: { idleMs: 200, tunnelMs: 2_500 } });
    const b = dp.pool('test')!.backends[0]!;
    const client = await rawClient(port);
    cleanups.push(() => void client.socket.destroy());
    client.send('GET /chat HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
    await client.until((t) => t.includes('\r\n\r\n'));
    const opened = Date.now();
    // Four idle timeouts of silence: a tunnel under the idle timeout would be closed by now
    // (timers fire late on a loaded machine, never early).
    await new Promise((r) => setTimeout(r, 800));
    expect(client.closed).toBe(false);
    await eventually(() => client.closed, 30_000, 'the tunnel closed at its timeout');
    expect(Date.now() - opened).toBeGreaterThanOrEqual(2_400);
    await eventually(() => dp.connections().open === 0 && b.state.active === 0);
    expect(b.state.stats.totals.errors).toEqual({ connect: 0, timeout: 0, reset: 0 });
  });

  it('a client whose connection is reset before the answer lets its backend connection go at once, not at the first-byte timeout', async () => {
    let held = 0;
    let closed = 0;
    // The backend takes the handshake and never answers it.
    const backend = await startRawBackend((socket) => {
      held++;
      socket.removeAllListeners('data');
      socket.on('close', () => closed++);
    });
    cleanups.push(() => backend.close());
    const { dp, port } = await proxyTo([{ name: 'b', port: backend.port }], { timeouts: { firstByteMs: 120_000 } });
    const b = dp.pool('test')!.backends[0]!;
    const client = await rawClient(port);
    cleanups.push(() => void client.socket.destroy());
    client.send('GET /chat HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
    await eventually(() => held === 1);
    client.socket.resetAndDestroy();
    // The socket waiting for its answer is still read into its stream's buffer, so the reset is
    // seen: the backend connection (and its slot) does not wait for the first-byte timeout, 120 s here.
    await eventually(() => closed === 1, 20_000, 'the backend connection closed');
    await eventually(() => dp.connections().open === 0 && b.state.active === 0);
    // The client left: no failure of the backend's.
    expect(b.state.stats.totals.errors).toEqual({ connect: 0, timeout: 0, reset: 0 });
  });

  it('a 101 opens the tunnel, and bytes the client sent right after the handshake arrive in order', async () => {
    let upgraded = false;
    const heads: string[] = [];
    // The backend answers only once the client's second early write has left it (no timer to race).
    let earlySent!: () => void;
    const early = new Promise<void>((r) => (earlySent = r));
    let headSeen!: () => void;
    const seen = new Promise<void>((r) => (headSeen = r));
    const backend = await startRawBackend((socket, head) => {
      heads.push(head);
      headSeen();
      void early.then(() => {
        socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nhello;');
        upgraded = true;
        socket.removeAllListeners('data');
        socket.on('data', (c: Buffer) => socket.write(`echo:${c.toString('latin1')};`));
      });
    });
    cleanups.push(() => backend.close());
    const { port } = await proxyTo([{ name: 'b', port: backend.port }]);
    const client = await rawClient(port);
    cleanups.push(() => void client.socket.destroy());
    client.send('GET /chat HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nEARLY1');
    await seen;
    client.socket.write('EARLY2', 'latin1', () => earlySent());
    await client.until((t) => t.includes('EARLY2;'));
    expect(heads).toHaveLength(1);
    expect(headOf(heads[0]!, 'upgrade')).toBe('websocket');
    expect(headOf(heads[0]!, 'x-forwarded-for')).toBe('127.0.0.1');
    expect(upgraded).toBe(true);
    const text = client.text();
    expect(text.startsWith('HTTP/1.1 101 Switching Protocols\r\n')).toBe(true);
    const rest = text.slice(text.indexOf('\r\n\r\n') + 4);
    expect(rest.startsWith('hello;')).toBe(true);
    expect(rest.slice(6).replace(/echo:|;/g, '')).toBe('EARLY1EARLY2');
  });
});
