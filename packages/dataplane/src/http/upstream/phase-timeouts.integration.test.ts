import { Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Dataplane } from '../../dataplane';
import { freePort, get, snapshotFor } from '../../test-support';
import { rawClient, startRawBackend } from './raw-test-peers';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A proxy in front of `backendPort` with these timeouts; retries off, so a timeout is the answer. */
async function proxy(backendPort: number, timeouts: { firstByteMs: number; idleMs: number }): Promise<number> {
  const dp = new Dataplane();
  cleanups.push(() => dp.stop());
  const port = await freePort();
  const applied = await dp.applySnapshot(snapshotFor(port, [{ name: 'b', port: backendPort }], { retries: { attempts: 0 }, outlierDetection: { enabled: false }, timeouts }));
  expect(applied.ok).toBe(true);
  return port;
}

/** Sends one GET on a new connection; resolves with what came back and how long until the proxy closed it. */
async function getUntilClosed(port: number, path: string): Promise<{ text: string; ms: number }> {
  const client = await rawClient(port);
  cleanups.push(() => {
    client.socket.destroy();
  });
  const t0 = performance.now();
  client.send(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
  const text = await client.until(() => false, 60_000);
  return { text, ms: performance.now() - t0 };
}

// Lower bounds only: a loaded machine closes later, never sooner.
describe('upstream phase timeouts: first byte, then idle', () => {
  it('a body that stalls after the head is cut at the idle limit, not the first-byte one, whether the head came alone or with body bytes', async () => {
    const backend = await startRawBackend((socket, head) => {
      if (head.startsWith('GET /alone')) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n');
      else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc');
    });
    cleanups.push(() => backend.close());
    const port = await proxy(backend.port, { firstByteMs: 200, idleMs: 1500 });
    const [alone, withBody] = await Promise.all([getUntilClosed(port, '/alone'), getUntilClosed(port, '/with-body')]);
    expect(alone.text).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(withBody.text).toMatch(/^HTTP\/1\.1 200 OK[\s\S]*\r\n\r\nabc$/);
    expect(alone.ms).toBeGreaterThanOrEqual(1500);
    expect(withBody.ms).toBeGreaterThanOrEqual(1500);
  });

  it('a head the backend sent alone reaches the client before any body, not held for the first body piece', async () => {
    let sendBody: (() => void) | undefined;
    const backend = await startRawBackend((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 5\r\n\r\n');
      sendBody = () => socket.write('event');
    });
    cleanups.push(() => backend.close());
    const port = await proxy(backend.port, { firstByteMs: 30_000, idleMs: 60_000 });
    const client = await rawClient(port);
    cleanups.push(() => {
      client.socket.destroy();
    });
    client.send('GET /events HTTP/1.1\r\nHost: x\r\n\r\n');
    const head = await client.until((t) => t.includes('\r\n\r\n'));
    expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*Content-Type: text\/event-stream/);
    expect(head.endsWith('\r\n\r\n')).toBe(true);
    expect(client.closed).toBe(false);
    sendBody!();
    expect(await client.until((t) => t.endsWith('event'))).toMatch(/\r\n\r\nevent$/);
  });

  it('an idle limit shorter than the first-byte one cuts a stalled body at the idle limit', async () => {
    const backend = await startRawBackend((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'));
    cleanups.push(() => backend.close());
    const port = await proxy(backend.port, { firstByteMs: 600_000, idleMs: 300 });
    const cut = await getUntilClosed(port, '/');
    expect(cut.text).toMatch(/\r\n\r\nabc$/);
    expect(cut.ms).toBeGreaterThanOrEqual(300);
  });

  it('after small answers on a kept-alive connection, the next request is still held to the first-byte limit', async () => {
    const backend = await startRawBackend((socket, _head, index) => {
      if (index < 3) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    });
    cleanups.push(() => backend.close());
    const port = await proxy(backend.port, { firstByteMs: 300, idleMs: 600_000 });
    for (let i = 0; i < 3; i++) expect((await get(port, `/${i}`)).status).toBe(200);
    const t0 = performance.now();
    const late = await get(port, '/stalls');
    expect(late.status).toBe(504);
    expect(late.headers.get('x-fulcrum-error') ?? '').toMatch(/no response in time/);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(300);
    // All four went over one connection: the fourth found it with the first-byte limit armed.
    expect(backend.connections).toHaveLength(1);
  });

  it('small answers schedule no timer: neither the limits per phase nor the reads and writes that defer them', async () => {
    const backend = await startRawBackend((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'));
    cleanups.push(() => backend.close());
    const port = await proxy(backend.port, { firstByteMs: 30_000, idleMs: 60_000 });
    // The connection is opened and warmed first.
    expect((await get(port, '/warm')).status).toBe(200);
    const socketTimers = vi.spyOn(Socket.prototype, 'setTimeout');
    const timers = vi.spyOn(globalThis, 'setTimeout');
    for (let i = 0; i < 50; i++) expect((await get(port, `/${i}`)).status).toBe(200);
    // Both limits would be armed once per request (100) if the idle one were armed at each head,
    // and a timer moved per read and write on each side (200) if activity re-armed it.
    const limits = [...socketTimers.mock.calls, ...timers.mock.calls].map((c) => c[0]).filter((ms) => typeof ms === 'number' && ms >= 1_000);
    expect(limits.length).toBeLessThan(10);
  });

  it('a body trickled faster than the idle limit is never cut, however long it takes in all', async () => {
    const backend = await startRawBackend((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n');
      let sent = 0;
      const tick = setInterval(() => {
        socket.write('x');
        if (++sent === 20) clearInterval(tick);
      }, 100);
      socket.on('close', () => clearInterval(tick));
    });
    cleanups.push(() => backend.close());
    // The client connection's limit is the same: each byte written to it defers that one too.
    const port = await proxy(backend.port, { firstByteMs: 600, idleMs: 600 });
    const t0 = performance.now();
    const res = await get(port, '/trickle');
    expect(res.status).toBe(200);
    expect(res.body).toBe('x'.repeat(20));
    // Over three times the limit in all: each byte deferred it.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(1_900);
  });
});
