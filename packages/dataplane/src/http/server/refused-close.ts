import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * How long a connection the proxy has ended (after a refusal, a 408, a 500 of its own, an answer
 * to an upgrade it did not tunnel) waits for the client to read its answer and close, on every
 * path: the fast path's connections (`ClientConnection`, never longer than the pool's idle
 * timeout) and those node:http has let go of (below).
 */
export const LINGER_MS = 5_000;

/**
 * Sends a refusal on a connection node:http has let go of (an upgrade request it handed over)
 * and closes it (see `lingerAfterEnd`).
 */
export function endRefused(client: Duplex, answer: string): void {
  const socket = client as Socket;
  socket.on('error', () => {});
  socket.end(answer, 'latin1');
  lingerAfterEnd(socket);
}

/**
 * A connection node:http has let go of, whose side the proxy has ended: what the client sends
 * meanwhile is read and dropped, so its end is seen (a socket nobody reads never learns the
 * client left, and would stay open for good) and no unread byte turns the close into a reset
 * that could cost the client the answer; a client that never closes is cut after LINGER_MS.
 */
export function lingerAfterEnd(socket: Socket): void {
  socket.resume();
  socket.setTimeout(LINGER_MS, () => socket.destroy());
}
