import { once } from 'node:events';
import { type AddressInfo, type Server, type Socket, connect, createServer } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SocketWriter, directWritesSupported } from './socket-writer';

const servers: Server[] = [];
const sockets: Socket[] = [];

afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) s.close();
});

/** A server whose first connection is handed back, paused (nothing is read until it resumes), with what it read. */
async function peer(): Promise<{ port: number; accepted: Promise<{ socket: Socket; received: () => string; ended: Promise<unknown> }> }> {
  let hand: (v: { socket: Socket; received: () => string; ended: Promise<unknown> }) => void = () => {};
  const accepted = new Promise<{ socket: Socket; received: () => string; ended: Promise<unknown> }>((r) => (hand = r));
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.pause();
    const parts: Buffer[] = [];
    socket.on('data', (c: Buffer) => parts.push(c));
    socket.on('error', () => {});
    hand({ socket, received: () => Buffer.concat(parts).toString('latin1'), ended: once(socket, 'end') });
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as AddressInfo).port, accepted };
}

async function connected(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  await once(socket, 'connect');
  return socket;
}

/** Writes `piece`s until some wait in the socket's queue (the peer reads nothing), at most `max`. */
function fill(writer: SocketWriter, piece: string, max: number): { written: string[]; lastOk: boolean } {
  const written: string[] = [];
  let lastOk = true;
  for (let i = 0; i < max && !writer.holds; i++) {
    const text = `${i}:${piece}`;
    written.push(text);
    lastOk = writer.latin1(text);
  }
  return { written, lastOk };
}

/** Ends the client's side and gives what the peer read to its end. */
async function endAndRead(socket: Socket, accepted: Promise<{ socket: Socket; received: () => string; ended: Promise<unknown> }>): Promise<string> {
  socket.end();
  const { socket: server, received, ended } = await accepted;
  server.resume();
  await ended;
  return received();
}

describe('SocketWriter', () => {
  it('runs on this Node: writes go to the handle, not through the stream', async () => {
    expect(directWritesSupported).toBe(true);
    const { port, accepted } = await peer();
    const socket = await connected(port);
    const viaStream = vi.spyOn(socket, 'write');
    const writer = new SocketWriter(socket);
    expect(writer.latin1('GET / HTTP/1.1\r\n\r\n')).toBe(true);
    expect(viaStream).not.toHaveBeenCalled();
    expect(writer.holds).toBe(false);
    expect(await endAndRead(socket, accepted)).toBe('GET / HTTP/1.1\r\n\r\n');
  });

  it('keeps the order of every byte when writes wait in the queue, mixed with the stream’s own writes and its end; emits drain', async () => {
    const { port, accepted } = await peer();
    const socket = await connected(port);
    const writer = new SocketWriter(socket);
    const piece = 'x'.repeat(16 * 1024);
    const { written, lastOk } = fill(writer, piece, 20_000);
    // The peer reads nothing: the kernel's buffers fill, and a write waits in the queue.
    expect(writer.holds).toBe(true);
    expect(lastOk).toBe(false);
    const drained = once(socket, 'drain');
    // Through the stream, behind the queued direct write (the second waits in the stream's own
    // buffer while the first is in flight); then a direct write, which must go behind both.
    socket.write(Buffer.from('|stream', 'latin1'));
    socket.write(Buffer.from('|', 'latin1'));
    const after = 'after the stream';
    writer.latin1(after);
    socket.end();
    const { socket: server, received, ended } = await accepted;
    server.resume();
    await Promise.all([ended, drained]);
    expect(received()).toBe(`${written.join('')}|stream|${after}`);
    await vi.waitFor(() => expect(writer.holds).toBe(false));
  });

  it('sends what a connecting socket is given once it connects (through its stream)', async () => {
    const { port, accepted } = await peer();
    const socket = connect(port, '127.0.0.1');
    sockets.push(socket);
    const writer = new SocketWriter(socket);
    expect(socket.connecting).toBe(true);
    writer.latin1('early');
    expect(await endAndRead(socket, accepted)).toBe('early');
  });

  it('writes through the stream when its owner asks (direct false)', async () => {
    const { port, accepted } = await peer();
    const socket = await connected(port);
    const viaStream = vi.spyOn(socket, 'write');
    new SocketWriter(socket, false).latin1('through the stream');
    expect(viaStream).toHaveBeenCalledTimes(1);
    expect(await endAndRead(socket, accepted)).toBe('through the stream');
  });

  it('destroys the socket with the error when the peer is gone, without throwing', async () => {
    const { port, accepted } = await peer();
    const socket = await connected(port);
    const errors: NodeJS.ErrnoException[] = [];
    socket.on('error', (e) => errors.push(e));
    // Not events.once: it rejects on the 'error' this test waits for.
    const closed = new Promise((r) => socket.on('close', r));
    const writer = new SocketWriter(socket);
    const { socket: server } = await accepted;
    server.resetAndDestroy();
    // Writes until the reset is seen (the first may still be taken by the kernel), bounded.
    for (let i = 0; i < 1_000 && !socket.destroyed; i++) {
      expect(() => writer.latin1('after the reset')).not.toThrow();
      await new Promise((r) => setImmediate(r));
    }
    await closed;
    expect(errors.length).toBeGreaterThan(0);
    expect(['ECONNRESET', 'EPIPE']).toContain(errors[0]!.code);
  });
});
