import { type Server, type Socket, connect, createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { acceptedSocketReadsSupported, readInto, readThroughStream } from './accepted-socket-reads';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

/** A server on a free port and a client connected to it; resolves with both ends. */
async function pair(): Promise<{ accepted: Socket; client: Socket }> {
  let server!: Server;
  const accepted = new Promise<Socket>((resolve) => {
    server = createServer({ allowHalfOpen: true }, resolve);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = connect({ port: (server.address() as { port: number }).port, host: '127.0.0.1' });
  const a = await accepted;
  cleanups.push(() => {
    client.destroy();
    a.destroy();
    server.close();
  });
  return { accepted: a, client };
}

/** Resolves once `cond()` holds, checked on every event-loop turn; rejects after 10 s. */
function until(cond: () => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 10_000;
    const check = () => {
      if (cond()) resolve();
      else if (Date.now() > deadline) reject(new Error('condition not met in 10 s'));
      else setImmediate(check);
    };
    check();
  });
}

describe('reads of an accepted socket into a buffer of ours', () => {
  it('is available on this Node (without it every plain connection reads through its stream)', () => {
    expect(acceptedSocketReadsSupported).toBe(true);
  });

  it('delivers each read to the callback in the given buffer, emits no data, and still ends and idles out', async () => {
    const { accepted, client } = await pair();
    const buffer = Buffer.alloc(64);
    let got = '';
    let dataEvents = 0;
    expect(
      readInto(accepted, buffer, (n, b) => {
        expect(b).toBe(buffer);
        got += b.toString('latin1', 0, n);
        return true;
      }),
    ).toBe(true);
    accepted.on('data', () => dataEvents++);
    let ended = false;
    accepted.on('end', () => (ended = true));
    // More than the buffer holds: it arrives in several reads, all into the same buffer.
    const sent = 'x'.repeat(200) + 'end';
    client.end(sent);
    await until(() => ended);
    expect(got).toBe(sent);
    expect(dataEvents).toBe(0);
  });

  it('stops reading when the callback returns false, until resume()', async () => {
    const { accepted, client } = await pair();
    const buffer = Buffer.alloc(16);
    let reads = 0;
    let got = '';
    readInto(accepted, buffer, (n, b) => {
      reads++;
      got += b.toString('latin1', 0, n);
      return false;
    });
    client.write('first');
    await until(() => reads === 1);
    client.write('second');
    // Reading is stopped: the second write waits in the kernel while the loop turns.
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(reads).toBe(1);
    accepted.resume();
    await until(() => got === 'firstsecond');
  });

  it('refuses a socket already read through its stream, or already reading into a buffer', async () => {
    const { accepted } = await pair();
    accepted.on('data', () => {});
    expect(readInto(accepted, Buffer.alloc(16), () => true)).toBe(false);
    const second = await pair();
    expect(readInto(second.accepted, Buffer.alloc(16), () => true)).toBe(true);
    expect(readInto(second.accepted, Buffer.alloc(16), () => true)).toBe(false);
  });

  it('gives the socket back to its stream with each read copied out of the buffer', async () => {
    const { accepted, client } = await pair();
    const buffer = Buffer.alloc(8);
    readInto(accepted, buffer, () => true);
    readThroughStream(accepted);
    const chunks: Buffer[] = [];
    accepted.on('data', (c: Buffer) => {
      chunks.push(c);
      // The next read overwrites the buffer: a chunk that pointed into it would change.
      buffer.fill(0);
    });
    let ended = false;
    accepted.on('end', () => (ended = true));
    client.end('abcdefghijklmnopqrstuvwxyz');
    await until(() => ended);
    expect(Buffer.concat(chunks).toString()).toBe('abcdefghijklmnopqrstuvwxyz');
    expect(chunks.every((c) => c.buffer !== buffer.buffer)).toBe(true);
  });
});
