import { Buffer } from 'node:buffer';
import { Socket } from 'node:net';

/**
 * Reads from a socket a server accepted, into a buffer of ours, as `net.connect`'s `onread`
 * option does for the sockets we open. node:net gives that option only to sockets it connects;
 * an accepted socket reads through its stream: a fresh 64 KiB allocation per read, an
 * ArrayBuffer around it, `push`, a `'data'` event and a `nextTick` to read more. A small
 * request's read cost more there than in the code that serves it (see the README's Performance
 * section). The fields `onread` sets are found by name on a socket made here once; on a Node
 * that does not have them, `readInto` says so and the caller reads through the stream.
 */
interface UserBufferFields {
  readonly buffer: symbol;
  readonly callback: symbol;
  readonly generator: symbol;
}

type Fields = Record<symbol, unknown>;

const fields: UserBufferFields | undefined = (() => {
  const probe = new Socket();
  const own = Object.getOwnPropertySymbols(probe);
  const named = (description: string) => own.find((s) => s.description === description);
  const buffer = named('kBuffer');
  const callback = named('kBufferCb');
  const generator = named('kBufferGen');
  if (!buffer || !callback || !generator) return undefined;
  const p = probe as unknown as Fields;
  // A socket made without `onread` has all three unset; anything else is not the shape known here.
  if (p[buffer] !== null || p[callback] !== null || p[generator] !== null) return undefined;
  return { buffer, callback, generator };
})();

interface UserBufferHandle {
  useUserBuffer?: (buffer: Uint8Array) => void;
}

/** Whether this Node lets an accepted socket read into a buffer of ours. */
export const acceptedSocketReadsSupported = fields !== undefined;

/**
 * Where `readCopies` reads land, for every connection: each read is copied out before its
 * callback returns, so the next read (of any connection) cannot change bytes handed on.
 */
const SHARED = Buffer.allocUnsafeSlow(64 * 1024);

/**
 * Each read of `socket` reaches `onChunk` as a buffer of its own (copied out of one buffer every
 * connection reads into; `allocUnsafe` takes small ones from Node's pool), with no `'data'` event.
 * Returning false stops reading, as `pause()` does; `resume()` starts it again. False when this
 * Node or socket cannot (see `readInto`): read it through `'data'`.
 */
export function readCopies(socket: Socket, onChunk: (chunk: Buffer) => boolean): boolean {
  return readInto(socket, SHARED, (bytes, buffer) => onChunk(copyOut(buffer, bytes)));
}

/**
 * Each read of `socket` reaches `onView` as a view of the one buffer every connection reads
 * into, valid only until `onView` returns: the next read, of any connection, overwrites it.
 * Whatever the caller keeps past the call, it copies; bytes used up within the call (a request
 * head parsed into strings) cost no copy. Returning false stops reading, as `pause()` does. False
 * when this Node or socket cannot (see `readInto`): read it through `'data'`.
 */
export function readViews(socket: Socket, onView: (view: Buffer) => boolean): boolean {
  return readInto(socket, SHARED, (bytes, buffer) => onView(buffer.subarray(0, bytes)));
}

/** `bytes` of `buffer` in a buffer of their own. */
export function copyOut(buffer: Buffer, bytes = buffer.length): Buffer {
  const chunk = Buffer.allocUnsafe(bytes);
  buffer.copy(chunk, 0, 0, bytes);
  return chunk;
}

/**
 * From now on each read of `socket` lands in `buffer` and `onRead(bytes, buffer)` is called
 * with it; no `'data'` event is emitted. `onRead` must be done with the bytes when it returns
 * (the buffer may be shared by every connection): whatever it keeps, it copies. Returning false
 * stops reading, as `pause()` does; `resume()` starts it again. False when this Node or socket
 * cannot (a TLS socket, a socket already read through its stream): read it through `'data'`.
 */
export function readInto(socket: Socket, buffer: Buffer, onRead: (bytes: number, buffer: Buffer) => boolean): boolean {
  const handle = (socket as unknown as { _handle?: UserBufferHandle | null })._handle;
  if (!fields || typeof handle?.useUserBuffer !== 'function' || socket.listenerCount('data') > 0) return false;
  if ((socket as { encrypted?: boolean }).encrypted === true) return false;
  const s = socket as unknown as Fields;
  if (s[fields.buffer] !== null) return false;
  s[fields.buffer] = buffer;
  s[fields.callback] = onRead;
  handle.useUserBuffer(buffer);
  return true;
}

/**
 * Gives a socket read with `readInto` back to its stream, for a reader that only knows streams
 * (node:http, `'data'` listeners, pipe): each read is copied out of the buffer and pushed, and
 * reading stops while the stream's buffer is full, as an ordinary socket's does.
 */
export function readThroughStream(socket: Socket): void {
  if (!fields) return;
  const s = socket as unknown as Fields;
  if (s[fields.buffer] === null || s[fields.buffer] === undefined) return;
  s[fields.callback] = (bytes: number, buffer: Buffer) => socket.push(copyOut(buffer, bytes));
}
