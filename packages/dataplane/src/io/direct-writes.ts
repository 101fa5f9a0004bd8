import type { Socket } from 'node:net';

/**
 * Writes a string straight to a plain TCP socket's handle, as node:net's stream does underneath,
 * without the stream's machinery around it: per write node:net makes a request object, runs
 * `writeOrBuffer` and `_write`, and schedules a `nextTick` to report the write done. For the
 * proxy's small writes (a request head to a backend, a small answer to a client) the kernel takes
 * the bytes at once almost always, and that machinery costs more than the code that made them.
 *
 * The binding node:net writes through is reached by `process.binding('stream_wrap')`; on a Node
 * without it, or for a socket that is not a plain TCP one, every write goes through the stream.
 */
interface StreamBinding {
  WriteWrap: new () => WriteRequest;
  kLastWriteWasAsync: number;
  streamBaseState: Int32Array;
}

interface WriteRequest {
  handle: unknown;
  oncomplete: (status: number) => void;
  async: boolean;
}

interface StreamHandle {
  writeLatin1String(req: WriteRequest, data: string): number;
}

interface SocketInternals {
  _handle: StreamHandle | null;
  _unrefTimer?: () => void;
  writableLength: number;
  writableCorked: number;
  writableEnded: boolean;
  destroyed: boolean;
  connecting: boolean;
  encrypted?: boolean;
}

const binding: StreamBinding | undefined = (() => {
  try {
    const b = (process as unknown as { binding(name: string): Partial<StreamBinding> }).binding('stream_wrap');
    if (typeof b.WriteWrap !== 'function' || typeof b.kLastWriteWasAsync !== 'number' || !(b.streamBaseState instanceof Int32Array)) return undefined;
    return b as StreamBinding;
  } catch {
    return undefined;
  }
})();

/** Whether this Node lets the proxy write to a socket's handle directly. */
export const directWritesSupported = binding !== undefined;

/**
 * The writes to one socket: strings go to its handle directly while nothing is queued in its
 * stream, and through the stream otherwise (so bytes always leave in the order written). A write
 * the kernel could not take at once stays with libuv (it keeps its own copy of the string) until
 * it completes; `pending` counts those, and `onceDrain` waits for them as for the stream's.
 */
export class SocketWrites {
  /** Direct writes the kernel has not taken in full yet. */
  pending = 0;
  private waiters: (() => void)[] = [];
  private readonly direct: boolean;
  private readonly onComplete = (status: number): void => this.completed(status);

  constructor(private readonly socket: Socket) {
    const s = socket as unknown as SocketInternals;
    this.direct = binding !== undefined && s.encrypted !== true;
  }

  /** Writes `data` (latin1: one byte per char). False when bytes wait for the kernel (see `onceDrain`). */
  writeLatin1(data: string): boolean {
    const s = this.socket as unknown as SocketInternals;
    const handle = s._handle;
    if (!this.direct || handle === null || typeof handle.writeLatin1String !== 'function' || s.writableLength > 0 || s.writableCorked > 0 || s.writableEnded || s.destroyed || s.connecting) {
      return this.socket.write(data, 'latin1') && this.pending === 0;
    }
    const req = new binding!.WriteWrap();
    req.handle = handle;
    req.oncomplete = this.onComplete;
    req.async = false;
    const err = handle.writeLatin1String(req, data);
    // As the stream does: any write is activity, for the socket's inactivity timer.
    s._unrefTimer?.();
    if (err !== 0) {
      this.socket.destroy(Object.assign(new Error(`write failed (${err})`), { errno: err, syscall: 'write' }));
      return false;
    }
    if (binding!.streamBaseState[binding!.kLastWriteWasAsync] === 0) return this.pending === 0;
    req.async = true;
    this.pending++;
    return false;
  }

  /** Bytes written are still waiting for the kernel, here or in the stream. */
  get holding(): boolean {
    return this.pending > 0 || this.socket.writableLength > 0;
  }

  /**
   * Calls `fn` once every write so far has been taken by the kernel: the direct ones, then the
   * stream's. Never after the socket is ended or closed (nothing waits on a drain then).
   */
  onceDrain(fn: () => void): void {
    if (this.pending > 0) this.waiters.push(fn);
    else this.afterStream(fn);
  }

  private afterStream(fn: () => void): void {
    const socket = this.socket;
    if (socket.destroyed || socket.writableEnded) return;
    if (socket.writableLength === 0) return fn();
    // The stream's writes finish in order, each callback after the one before: an empty write's
    // callback comes when all of them are done ('drain' comes only if one of them returned false).
    socket.write('', (err) => {
      if (!err) fn();
    });
  }

  private completed(status: number): void {
    this.pending--;
    if (status < 0) {
      // The socket was closed under it (ECANCELED), or the write failed: the stream learns it from the socket.
      if (!this.socket.destroyed) this.socket.destroy(Object.assign(new Error(`write failed (${status})`), { errno: status, syscall: 'write' }));
      this.waiters = [];
      return;
    }
    if (this.pending > 0 || this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const fn of waiters) this.afterStream(fn);
  }
}
