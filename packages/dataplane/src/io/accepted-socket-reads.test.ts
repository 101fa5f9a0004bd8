import { describe, expect, it } from 'vitest';
import { socketPair, untilTurn } from './test-sockets';
import { acceptedSocketReadsSupported, readInto, readThroughStream } from './accepted-socket-reads';

describe('reads of an accepted socket into a buffer of ours', () => {
  it('is available on this Node (without it every plain connection reads through its stream)', () => {
    expect(acceptedSocketReadsSupported).toBe(true);
  });

  it('delivers each read to the callback in the given buffer, emits no data, and still ends and idles out', async () => {
    const { accepted, client } = await socketPair();
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
    await untilTurn(() => ended);
    expect(got).toBe(sent);
    expect(dataEvents).toBe(0);
  });

  it('stops reading when the callback returns false, until resume()', async () => {
    const { accepted, client } = await socketPair();
    const buffer = Buffer.alloc(16);
    let reads = 0;
    let got = '';
    readInto(accepted, buffer, (n, b) => {
      reads++;
      got += b.toString('latin1', 0, n);
      return false;
    });
    client.write('first');
    await untilTurn(() => reads === 1);
    client.write('second');
    // Reading is stopped: the second write waits in the kernel while the loop turns.
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(reads).toBe(1);
    accepted.resume();
    await untilTurn(() => got === 'firstsecond');
  });

  it('refuses a socket already read through its stream, or already reading into a buffer', async () => {
    const { accepted } = await socketPair();
    accepted.on('data', () => {});
    expect(readInto(accepted, Buffer.alloc(16), () => true)).toBe(false);
    const second = await socketPair();
    expect(readInto(second.accepted, Buffer.alloc(16), () => true)).toBe(true);
    expect(readInto(second.accepted, Buffer.alloc(16), () => true)).toBe(false);
  });

  it('gives the socket back to its stream with each read copied out of the buffer', async () => {
    const { accepted, client } = await socketPair();
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
    await untilTurn(() => ended);
    expect(Buffer.concat(chunks).toString()).toBe('abcdefghijklmnopqrstuvwxyz');
    expect(chunks.every((c) => c.buffer !== buffer.buffer)).toBe(true);
  });
});
