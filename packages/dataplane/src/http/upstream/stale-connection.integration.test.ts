import { afterEach, describe, expect, it } from 'vitest';
import { Dataplane } from '../../dataplane';
import { freePort, get, snapshotFor } from '../../test-support';
import { type RawBackend, startRawBackend } from './raw-test-peers';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/**
 * A backend that closes an idle keep-alive connection just as the next request reaches it: the
 * race every keep-alive pool meets when a backend's idle timeout (or a restart) ends a connection
 * the pool still holds. Each connection answers its first request and drops the second unanswered.
 */
async function closingBackend(): Promise<RawBackend> {
  const backend = await startRawBackend((socket, _head, index) => {
    if (index === 0) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok');
    else socket.destroy();
  });
  cleanups.push(() => backend.close());
  return backend;
}

describe('a reused upstream connection the backend closed', () => {
  it('is retried once on a new connection to the same backend for a request safe to resend, so a one-backend pool answers 200, not 502', async () => {
    const backend = await closingBackend();
    const dp = new Dataplane();
    cleanups.push(() => dp.stop());
    const port = await freePort();
    expect((await dp.applySnapshot(snapshotFor(port, [{ name: 'only', port: backend.port }], { name: 'web' }))).ok).toBe(true);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await get(port, `/r${i}`)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    // Each request after the first found a reused connection closed, and took a new one.
    expect(backend.connections).toHaveLength(5);
  });

  it('is not retried when the pool allows no retries, or for a request with a body', async () => {
    const backend = await closingBackend();
    const dp = new Dataplane();
    cleanups.push(() => dp.stop());
    const port = await freePort();
    expect((await dp.applySnapshot(snapshotFor(port, [{ name: 'only', port: backend.port }], { name: 'web', retries: { attempts: 0 } }))).ok).toBe(true);
    expect((await get(port, '/a')).status).toBe(200);
    expect((await get(port, '/b')).status).toBe(502);
    // Retries allowed (the default), but a body may not be sent twice.
    expect((await dp.applySnapshot(snapshotFor(port, [{ name: 'only', port: backend.port }], { name: 'web' }))).ok).toBe(true);
    expect((await get(port, '/c')).status).toBe(200);
    const post = await fetch(`http://127.0.0.1:${port}/d`, { method: 'POST', body: 'once', signal: AbortSignal.timeout(10_000) });
    expect(post.status).toBe(502);
  });
});
