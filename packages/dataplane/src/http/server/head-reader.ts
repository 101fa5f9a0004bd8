import { Buffer } from 'node:buffer';
import { copyOut } from '../../io/accepted-socket-reads';
import { Byte } from '../field-syntax';
import type { HeadRefusal } from '../request-head';

/** Where the next LF is; a trickle's few bytes are looked at here rather than through a native call each. */
function indexOfLF(buf: Buffer, from: number): number {
  if (buf.length - from > 16) return buf.indexOf(Byte.LF, from);
  for (let i = from; i < buf.length; i++) if (buf[i] === Byte.LF) return i;
  return -1;
}

/**
 * The bytes a client connection has sent and the fast path has not yet served, and the scan
 * for the next request head within them. Each byte is looked at once however the head arrives
 * (the scan resumes where the last read left it, and chunks are joined only when a head is
 * complete), so a head trickled byte by byte costs what it costs in one read. Line ends must be
 * CRLF: a bare LF is refused at once, not waited on; size and line-count limits are enforced
 * while the head is still arriving.
 */
export class HeadReader {
  private chunks: Buffer[] = [];
  /** Bytes held (all chunks). */
  bytes = 0;
  // Where the scan of the current head stands.
  private chunk = 0;
  private offset = 0;
  private headBytes = 0;
  private sinceLF = 0;
  private lastWasCR = false;
  private lines = 0;
  /** The last chunk is a view of a buffer its read reuses. */
  private borrowed = false;

  /**
   * `borrowed`: the chunk is a view of a buffer its read will reuse (see `readViews`); `own`
   * copies what is left of it once the read is done.
   */
  push(chunk: Buffer, borrowed = false): void {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    this.borrowed = borrowed;
  }

  /**
   * The read that pushed a borrowed chunk is done: what is still held of it (a head in pieces,
   * pipelined requests) is copied. Only the last chunk can be borrowed: each read is pushed
   * after the others, and a head taken from it leaves its rest in the last place.
   */
  own(): void {
    if (!this.borrowed) return;
    this.borrowed = false;
    const chunks = this.chunks;
    if (chunks.length > 0) chunks[chunks.length - 1] = copyOut(chunks[chunks.length - 1]!);
  }

  /** A head has begun but not ended. */
  get partial(): boolean {
    return this.bytes > 0;
  }

  /**
   * The next complete head (request line to the blank line, CRLFs included), taken out of the
   * held bytes; undefined while it is incomplete; or why it is refused.
   */
  next(maxHeadBytes: number, maxHeaders: number): Buffer | HeadRefusal | undefined {
    const chunks = this.chunks;
    for (; this.chunk < chunks.length; this.chunk++, this.offset = 0) {
      const buf = chunks[this.chunk]!;
      let pos = this.offset;
      for (;;) {
        const lf = indexOfLF(buf, pos);
        if (lf < 0) {
          if (buf.length > pos) {
            this.sinceLF += buf.length - pos;
            this.headBytes += buf.length - pos;
            this.lastWasCR = buf[buf.length - 1] === Byte.CR;
          }
          break;
        }
        const before = lf - pos;
        const lineBytes = this.sinceLF + before;
        const crBefore = before > 0 ? buf[lf - 1] === Byte.CR : this.lastWasCR;
        this.headBytes += before + 1;
        pos = lf + 1;
        this.sinceLF = 0;
        this.lastWasCR = false;
        if (lineBytes === 0 || !crBefore) return this.fail(400, 'line ending in a bare LF');
        if (lineBytes === 1) {
          // A blank line: leading ones before the request line are skipped (RFC 9112 §2.2).
          if (this.lines > 0) {
            if (this.headBytes > maxHeadBytes) return this.fail(431, 'request head too large');
            return this.take(this.chunk, pos);
          }
          continue;
        }
        // The request line, then one line per header field.
        if (++this.lines > maxHeaders + 1) return this.fail(431, 'too many header fields');
      }
      this.offset = pos;
      if (this.headBytes > maxHeadBytes) return this.fail(431, 'request head too large');
    }
    // Stay on the last chunk: the next read's bytes are scanned from where this one stopped.
    if (this.chunk > 0) {
      this.chunk--;
      this.offset = chunks[this.chunk]!.length;
    }
    return undefined;
  }

  /** Everything held, for a connection handed to node:http; the reader is left empty. */
  drain(): Buffer[] {
    const out = this.chunks;
    this.chunks = [];
    this.bytes = 0;
    this.reset();
    return out;
  }

  private fail(status: 400 | 431, reason: string): HeadRefusal {
    this.drain();
    return { status, reason };
  }

  /** Cuts the head (up to `end` in chunk `k`) from the held bytes. */
  private take(k: number, end: number): Buffer {
    const chunks = this.chunks;
    const last = chunks[k]!;
    let head: Buffer;
    if (k === 0) head = end === last.length ? last : last.subarray(0, end);
    else head = Buffer.concat([...chunks.slice(0, k), last.subarray(0, end)]);
    const rest = chunks.slice(k + 1);
    if (end < last.length) rest.unshift(last.subarray(end));
    this.chunks = rest;
    this.bytes -= head.length;
    this.reset();
    return head;
  }

  private reset(): void {
    this.chunk = 0;
    this.offset = 0;
    this.headBytes = 0;
    this.sinceLF = 0;
    this.lastWasCR = false;
    this.lines = 0;
  }
}
