import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { socketPair, untilTurn } from './test-sockets';
import { SocketWrites, directWritesSupported } from './direct-writes';

/** Everything `socket` receives until it ends. */
function collect(socket: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  return new Promise((resolve) => socket.on('end', () => resolve(Buffer.concat(chunks))));
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describe('writes straight to a socket handle', () => {
  it('is available on this Node (without it every write goes through the stream)', () => {
    expect(directWritesSupported).toBe(true);
  });

  it('writes a small string without the stream: nothing queued, no pending write, the bytes arrive', async () => {
    const { accepted, client } = await socketPair();
    const writes = new SocketWrites(accepted);
    const got = collect(client);
    expect(writes.writeLatin1('HTTP/1.1 200 OK\r\n\r\n\xff\x00')).toBe(true);
    // The stream never saw it: a stream write of a taken string still counts until its nextTick.
    expect(accepted.writableLength).toBe(0);
    expect(writes.pending).toBe(0);
    expect(writes.holding).toBe(false);
    accepted.end();
    expect((await got).toString('latin1')).toBe('HTTP/1.1 200 OK\r\n\r\n\xff\x00');
  });

  it('keeps the order of direct and stream writes when the kernel cannot take them at once, and drains', async () => {
    const { accepted, client } = await socketPair();
    const writes = new SocketWrites(accepted);
    client.pause();
    // Strings until the kernel's buffers are full: the rest wait in libuv (direct) or the stream.
    const parts: string[] = [];
    let i = 0;
    while (writes.pending === 0) {
      const s = `${String(i++).padStart(8, '0')}${'x'.repeat(64 * 1024 - 8)}`;
      parts.push(s);
      writes.writeLatin1(s);
      if (i > 10_000) throw new Error('the kernel took 640 MiB without a pause');
    }
    expect(writes.holding).toBe(true);
    // One more direct write behind the pending one, then one through the stream, then direct again.
    const expected = [...parts];
    for (const s of ['direct-after-pending', 'through-the-stream', 'direct-again']) expected.push(s);
    expect(writes.writeLatin1('direct-after-pending')).toBe(false);
    accepted.write(Buffer.from('through-the-stream'));
    expect(writes.writeLatin1('direct-again')).toBe(false);
    let drained = false;
    writes.onceDrain(() => (drained = true));
    expect(drained).toBe(false);
    const got = collect(client);
    client.resume();
    await untilTurn(() => drained);
    expect(writes.pending).toBe(0);
    expect(writes.holding).toBe(false);
    accepted.end();
    const all = await got;
    expect(all.length).toBe(expected.join('').length);
    expect(sha(all)).toBe(sha(Buffer.from(expected.join(''), 'latin1')));
  });

  it('sends through the stream while the stream holds bytes, so nothing overtakes them', async () => {
    const { accepted, client } = await socketPair();
    const writes = new SocketWrites(accepted);
    client.pause();
    // The stream's own write the kernel cannot take: it stays in the stream.
    const big = Buffer.alloc(32 * 1024 * 1024, 97);
    accepted.write(big);
    accepted.write(Buffer.from('second'));
    expect(accepted.writableLength).toBeGreaterThan(0);
    expect(writes.writeLatin1('third')).toBe(false);
    const got = collect(client);
    client.resume();
    let drained = false;
    writes.onceDrain(() => (drained = true));
    await untilTurn(() => drained);
    accepted.end();
    const all = await got;
    expect(all.subarray(big.length).toString()).toBe('secondthird');
  });

  it('a socket destroyed under a pending write reports nothing to the drain waiter and does not throw', async () => {
    const { accepted, client } = await socketPair();
    const writes = new SocketWrites(accepted);
    client.pause();
    while (writes.pending === 0) writes.writeLatin1('y'.repeat(256 * 1024));
    let drained = false;
    writes.onceDrain(() => (drained = true));
    const closed = new Promise((r) => accepted.once('close', r));
    accepted.destroy();
    await closed;
    await untilTurn(() => writes.pending === 0);
    expect(drained).toBe(false);
    // After the close a write is refused by the stream, not by a crash in the handle.
    expect(() => writes.writeLatin1('late')).not.toThrow();
  });

  it('a write to a socket the peer reset fails as a socket error, not an exception', async () => {
    const { accepted, client } = await socketPair();
    const writes = new SocketWrites(accepted);
    const errors: Error[] = [];
    accepted.on('error', (e) => errors.push(e));
    const closed = new Promise((r) => accepted.once('close', r));
    client.resetAndDestroy();
    // Writes until the kernel reports the reset (EPIPE/ECONNRESET); each one is refused quietly after.
    await untilTurn(() => {
      if (!accepted.destroyed) writes.writeLatin1('z'.repeat(1024));
      return accepted.destroyed;
    });
    await closed;
    expect(errors.length).toBeLessThanOrEqual(1);
  });
});
