import { Buffer } from 'node:buffer';
/**
 * Buffers for reading large bodies and TCP streams without a copy per read. Reading into fresh
 * memory (node's own 64 KiB allocation per read, or a copy out of a shared buffer) cost more CPU
 * than the proxying itself: a new 64 KiB allocation page-faults and is zeroed (see the README's
 * Performance section). A reader keeps one of these while the writes it feeds finish at once;
 * a write the kernel did not take whole keeps the bytes it points into, so the reader lets that
 * buffer go (it is freed with the write) and takes another.
 */
export const BULK_BUFFER_BYTES = 64 * 1024;

/** Buffers no write holds any more, for the next reader on any connection. */
const spare: Buffer[] = [];
const MAX_SPARE = 32;

export function takeBulkBuffer(): Buffer {
  return spare.pop() ?? Buffer.allocUnsafeSlow(BULK_BUFFER_BYTES);
}

/** Only for a buffer no pending write points into. */
export function returnBulkBuffer(buffer: Buffer): void {
  if (spare.length < MAX_SPARE) spare.push(buffer);
}

/**
 * How much of an answer may wait in a client socket's buffer before the backend is paused.
 * Node's 16 KiB default is less than one 64 KiB read, which would pause and resume the
 * backend socket (two epoll changes) for every read of a large body.
 */
export const CLIENT_BUFFER_BYTES = 256 * 1024;
