import { Buffer } from 'node:buffer';
import { type Socket, connect } from 'node:net';

/** What a hostile or broken server's answers can cost one check, at most (a real one sends a few hundred bytes). */
const MAX_RECEIVED = 1024 * 1024;
const MAX_REASON = 200;

/** Anything wrong on the wire: a truncated or oversized message, an unexpected answer. */
export class WireError extends Error {}

/** Server text in a check's reason: printable, short (it ends up in events and the dashboard). */
export function serverText(s: string): string {
  const clean = s.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').trim();
  return clean.length > MAX_REASON ? `${clean.slice(0, MAX_REASON)}…` : clean;
}

/**
 * Splits the bytes received so far into one frame: its length in bytes, or 0 while incomplete.
 * Throws WireError for a frame that can never be valid (a declared length out of bounds).
 */
export type FrameSplitter = (buf: Buffer) => number;

/**
 * One database check's connection, read as a sequence of frames with `await next()`: the
 * protocol code reads as the exchange it is. The deadline, the buffer bound and the close
 * belong here, so every probe gets them: nothing outlives `close()` or the deadline.
 */
export class WireSession {
  private buf: Buffer = Buffer.alloc(0);
  private received = 0;
  private waiter: { resolve: (f: Buffer) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;
  private readonly timer: NodeJS.Timeout;

  private constructor(
    private readonly socket: Socket,
    private readonly split: FrameSplitter,
    timeoutMs: number,
  ) {
    this.timer = setTimeout(() => this.fail(new WireError(`no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      this.received += chunk.length;
      if (this.received > MAX_RECEIVED) return this.fail(new WireError(`the server sent more than ${MAX_RECEIVED} bytes`));
      this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
      this.deliver();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => this.fail(new WireError(`connect: ${e.code ?? e.message}`)));
    socket.on('close', () => this.fail(new WireError('the server closed the connection')));
  }

  /** Connects; resolves once connected, rejects with the reason (the deadline counts from here). */
  static open(host: string, port: number, timeoutMs: number, split: FrameSplitter): Promise<WireSession> {
    const socket = connect({ host, port });
    socket.setNoDelay(true);
    const session = new WireSession(socket, split, timeoutMs);
    return new Promise((resolve, reject) => {
      // Until connected, a failure (refused, timed out) rejects the open itself.
      session.waiter = { resolve: () => {}, reject };
      socket.once('connect', () => {
        session.waiter = undefined;
        resolve(session);
      });
    });
  }

  /** The next whole frame (header included). */
  next(): Promise<Buffer> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.deliver();
    });
  }

  write(data: Buffer): void {
    if (!this.failure) this.socket.write(data);
  }

  /** Says goodbye (when given the protocol's farewell) and closes; idempotent. */
  close(farewell?: Buffer): void {
    clearTimeout(this.timer);
    if (!this.failure && farewell && this.socket.writable) this.socket.end(farewell);
    this.failure ??= new WireError('closed');
    this.socket.destroySoon();
    // A server that never closes its side does not keep the socket: destroy after a short grace.
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  private deliver(): void {
    if (!this.waiter || this.failure) return;
    let length: number;
    try {
      length = this.split(this.buf);
    } catch (err) {
      return this.fail(err instanceof Error ? err : new WireError(String(err)));
    }
    if (length === 0 || length > this.buf.length) return;
    const frame = this.buf.subarray(0, length);
    this.buf = this.buf.subarray(length);
    const w = this.waiter;
    this.waiter = undefined;
    w.resolve(frame);
  }

  private fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    clearTimeout(this.timer);
    this.socket.destroy();
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(err);
  }
}

/** Bounds-checked reads over one frame; running off its end is a WireError, never a crash or a wrong value. */
export class ByteReader {
  constructor(
    private readonly buf: Buffer,
    public pos = 0,
  ) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number): void {
    if (n < 0 || this.pos + n > this.buf.length) throw new WireError('the server sent a truncated message');
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  u16le(): number {
    this.need(2);
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }

  i16be(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  u32le(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  i32be(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  bytes(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  rest(): Buffer {
    return this.bytes(this.remaining);
  }

  /** A NUL-terminated string. */
  cstring(): string {
    const end = this.buf.indexOf(0, this.pos);
    if (end < 0) throw new WireError('the server sent a truncated message');
    const v = this.buf.toString('utf8', this.pos, end);
    this.pos = end + 1;
    return v;
  }
}
