import type { Socket } from 'node:net';
import process from 'node:process';
import { getSystemErrorName } from 'node:util';

/**
 * Writes to a TCP socket's handle directly, past its stream, when nothing stands in the way. A
 * `socket.write` of a small string runs the stream's bookkeeping around the one native call
 * (a write request object made per write, the buffered-length accounting, a `nextTick` after
 * each write): about as many instructions again as the write itself (see the README's
 * Performance section). The native call is the one the stream makes (`writeLatin1String`);
 * what the kernel does not take at once waits, in order, in libuv's write queue for the socket,
 * before anything written later through the stream, and before its `end()`'s shutdown.
 *
 * The stream is used as before whenever it holds bytes of its own, is corked, connecting,
 * ended or destroyed, for TLS sockets, and on a Node whose handles do not have the binding
 * this needs (`WriteWrap` and the write state of `stream_wrap`): then every write is a
 * `socket.write`.
 */
interface WriteReq {
  handle: unknown;
  oncomplete: (this: WriteReq, status: number) => void;
  async: boolean;
  bytes: number;
  buffer: unknown;
  callback: unknown;
  /** The writer whose write this is, and what it queued (for `oncomplete`). */
  writer: SocketWriter | undefined;
  queuedBytes: number;
}

interface StreamWrapBinding {
  WriteWrap: new () => WriteReq;
  streamBaseState: Int32Array;
  kLastWriteWasAsync: number;
}

interface StreamHandle {
  writeLatin1String(req: WriteReq, text: string): number;
}

const binding: StreamWrapBinding | undefined = (() => {
  try {
    const b = (process as unknown as { binding?: (name: string) => Partial<StreamWrapBinding> }).binding?.('stream_wrap');
    if (typeof b?.WriteWrap !== 'function' || !(b.streamBaseState instanceof Int32Array) || typeof b.kLastWriteWasAsync !== 'number') return undefined;
    return b as StreamWrapBinding;
  } catch {
    return undefined;
  }
})();

/** Whether this Node lets writes go to a socket's handle directly. */
export const directWritesSupported = binding !== undefined;

/** A write the kernel finished taking (or that failed) after it was queued. */
function onWriteComplete(this: WriteReq, status: number): void {
  const writer = this.writer;
  this.writer = undefined;
  writer?.completed(this.queuedBytes, status);
}

/**
 * One socket's direct writes (see above), with what they left queued: its backpressure is the
 * stream's (false past the socket's high-water mark, then `'drain'` once the queue is empty).
 */
export class SocketWriter {
  /** Bytes of direct writes waiting in libuv's queue (an upper bound: a write's whole length). */
  private queued = 0;
  /** A write returned false: `'drain'` is emitted when the queue empties. */
  private needDrain = false;
  /** A request object whose write completed at once: the native call did not keep it, so it serves again. */
  private spare: WriteReq | undefined;
  /** Direct writes are allowed: a TCP socket, not TLS, whose owner has not asked for the stream (`direct` false). */
  private readonly direct: boolean;

  constructor(
    private readonly socket: Socket,
    direct = true,
  ) {
    this.direct = direct && (socket as { encrypted?: boolean }).encrypted !== true;
  }

  /** Writes latin1 text (one char per byte); false when the caller should wait for `'drain'`, as `socket.write`. */
  latin1(text: string): boolean {
    const handle = this.handle();
    if (handle === undefined) return this.socket.write(text, 'latin1');
    const b = binding!;
    const req = this.spare ?? this.newReq();
    this.spare = undefined;
    const err = handle.writeLatin1String(req, text);
    if (err !== 0) {
      this.spare = req;
      return this.failed(err);
    }
    if (b.streamBaseState[b.kLastWriteWasAsync] === 0) {
      this.spare = req;
      return true;
    }
    // Some of it waits in libuv's queue, which now owns `req` (its completion comes to `completed`).
    req.writer = this;
    req.queuedBytes = text.length;
    this.queued += text.length;
    if (this.queued < this.socket.writableHighWaterMark) return true;
    this.needDrain = true;
    return false;
  }

  /**
   * Writes wait past the socket's high-water mark (through this writer or the stream): `'drain'`
   * comes once they are taken. A connection serving pipelined requests waits for it before the
   * next, so a client that sends and never reads cannot have its answers pile up.
   */
  get needsDrain(): boolean {
    return this.needDrain || this.socket.writableNeedDrain;
  }

  /** Bytes written but not yet taken by the kernel, through this writer or the stream. */
  get holds(): boolean {
    return this.queued > 0 || this.socket.writableLength > 0;
  }

  /** A queued write finished (status 0) or failed. */
  completed(bytes: number, status: number): void {
    this.queued -= bytes;
    const socket = this.socket;
    if (socket.destroyed) return;
    if (status < 0) {
      this.failed(status);
      return;
    }
    if (this.queued === 0 && this.needDrain) {
      this.needDrain = false;
      socket.emit('drain');
    }
  }

  /** The handle to write to, when nothing of the stream's stands before a direct write. */
  private handle(): StreamHandle | undefined {
    const socket = this.socket;
    if (binding === undefined || !this.direct || socket.connecting || socket.destroyed || socket.writableEnded || socket.writableLength > 0 || socket.writableCorked > 0) return undefined;
    const handle = (socket as unknown as { _handle?: StreamHandle | null })._handle;
    return handle && typeof handle.writeLatin1String === 'function' ? handle : undefined;
  }

  private newReq(): WriteReq {
    const req = new binding!.WriteWrap();
    req.handle = (this.socket as unknown as { _handle: unknown })._handle;
    req.oncomplete = onWriteComplete;
    req.async = false;
    req.bytes = 0;
    req.buffer = null;
    req.callback = null;
    req.writer = undefined;
    req.queuedBytes = 0;
    return req;
  }

  /** A write failed (the peer reset, a broken pipe): the socket is destroyed with the error, as its stream would. */
  private failed(status: number): false {
    const code = getSystemErrorName(status);
    this.socket.destroy(Object.assign(new Error(`write ${code}`), { code, errno: status, syscall: 'write' }));
    return false;
  }
}
