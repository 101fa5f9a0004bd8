import type { Buffer } from 'node:buffer';
import process from 'node:process';
import { type WriteStream, closeSync, createWriteStream, openSync } from 'node:fs';
import type { TAccessRecord } from '@fulcrum/protocol';
import { writeJsonLine } from './access-record';
import { LineBuffer } from './line-buffer';

/** Lines may wait this much in memory for a slow disk; past it they are dropped and counted. */
const DEFAULT_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
/**
 * Lines are handed to the stream once this much has gathered, or FLUSH_MS after the first of
 * them (NGINX's `access_log … buffer=64k flush=…`): one write per turn of the event loop cost
 * a system call and a thread-pool round trip for every few requests, more CPU than the lines.
 */
const FLUSH_BYTES = 64 * 1024;
/** A batch's buffer: room for the line that takes it past FLUSH_BYTES (a longer one makes it grow). */
const BATCH_BYTES = FLUSH_BYTES + 16 * 1024;
const FLUSH_MS = 100;

/** What the writer needs of stdout or a file stream. */
interface LineStream {
  readonly writableLength: number;
  write(chunk: Buffer): boolean;
  end(cb?: () => void): void;
}

/** Where a data plane's access-log lines go: `-` (stdout) or a file. */
export type AccessLogDestination = '-' | string;

/**
 * Writes access-log lines without ever making a request wait: lines are written into a batch
 * buffer (JSON ones straight from the record, see LineBuffer) handed to the stream at 64 KiB or
 * 100 ms after the first waiting line, the stream writes them off the loop, and
 * when the disk falls behind by more than `maxBufferedBytes` new lines are dropped and counted
 * instead of growing memory. `reopen` (on SIGUSR1) opens the path again, so logrotate can move
 * the file away; lines already handed to the old stream finish there.
 */
export class AccessLogWriter {
  /** Lines not written: the disk could not keep up, or the file could not be written. */
  dropped = 0;
  written = 0;
  /** The newest error writing or reopening the file. */
  lastError: string | undefined;
  private stream: LineStream;
  private readonly batch = new LineBuffer(BATCH_BYTES);
  private lines = 0;
  private timer: NodeJS.Timeout | undefined;
  private broken = false;

  constructor(
    readonly destination: AccessLogDestination,
    private readonly maxBufferedBytes = DEFAULT_MAX_BUFFERED_BYTES,
  ) {
    // Opened at once, so a path that cannot be written is reported at start, not lost later.
    this.stream = destination === '-' ? process.stdout : this.open();
  }

  /** A line of text (the combined format), newline included. */
  write(line: string): void {
    if (this.drops()) return;
    this.batch.text(line);
    this.added();
  }

  /** A record as a JSON line. */
  writeJson(r: TAccessRecord): void {
    if (this.drops()) return;
    writeJsonLine(this.batch, r);
    this.added();
  }

  /** The next line is dropped (and counted): the file is broken, or the disk is too far behind. */
  private drops(): boolean {
    if (!this.broken && this.stream.writableLength + this.batch.off <= this.maxBufferedBytes) return false;
    this.dropped++;
    return true;
  }

  private added(): void {
    this.lines++;
    if (this.batch.off >= FLUSH_BYTES) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(this.flush, FLUSH_MS);
      // Lines waiting never keep a stopping process alive; close() writes them.
      this.timer.unref();
    }
  }

  private readonly flush = (): void => {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.lines === 0) return;
    this.written += this.lines;
    this.lines = 0;
    this.stream.write(this.batch.take());
  };

  /** Opens the file again by its path (after logrotate moved it); stdout has nothing to reopen. */
  reopen(): void {
    if (this.destination === '-') return;
    let next: WriteStream;
    try {
      next = this.open();
    } catch (err) {
      // The old file keeps taking lines: better a rotated file that grows than lost lines.
      this.lastError = (err as Error).message;
      return;
    }
    this.flush();
    const old = this.stream;
    this.stream = next;
    this.broken = false;
    old.end();
  }

  /** Writes what waits and closes the file. */
  close(): Promise<void> {
    this.flush();
    if (this.destination === '-') return Promise.resolve();
    return new Promise((resolve) => this.stream.end(resolve));
  }

  private open(): WriteStream {
    const fd = openSync(this.destination, 'a', 0o640);
    let stream: WriteStream;
    try {
      stream = createWriteStream('', { fd });
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    stream.on('error', (err) => {
      // ENOSPC, EIO: counted, and lines are dropped until the next reopen rather than queued.
      this.lastError = err.message;
      if (this.stream === stream) this.broken = true;
    });
    return stream;
  }
}
