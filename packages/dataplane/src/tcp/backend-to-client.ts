import type { Buffer } from 'node:buffer';
import type { Socket } from 'node:net';
import { returnBulkBuffer, takeBulkBuffer } from '../io/bulk-buffers';

/**
 * The backend-to-client half of a TCP pool's connection. The backend socket reads into a bulk
 * buffer (its `onread` asks `nextBuffer()` before each read) and `onRead` writes the bytes to
 * the client as they are: no allocation or copy per read, where a `pipe()` costs a fresh 64 KiB
 * allocation per read. A write the kernel did not take whole keeps its buffer; the next read
 * goes into another. When the client is behind, the backend is paused until it drains.
 */
export class BackendToClient {
  private buffer: Buffer | undefined;
  private waitingForDrain = false;

  constructor(
    private readonly client: Socket,
    private readonly counted: (bytes: number) => void,
  ) {}

  nextBuffer(): Buffer {
    return (this.buffer ??= takeBulkBuffer());
  }

  onRead(bytes: number, buffer: Uint8Array, backend: Socket): void {
    this.counted(bytes);
    if (this.client.destroyed) return;
    const flushed = this.client.write((buffer as Buffer).subarray(0, bytes));
    // Bytes a pending write points into: left to it (freed with it).
    if (this.client.writableLength > 0 && buffer === this.buffer) this.buffer = undefined;
    if (!flushed && !this.waitingForDrain) {
      this.waitingForDrain = true;
      backend.pause();
      this.client.once('drain', () => {
        this.waitingForDrain = false;
        backend.resume();
      });
    }
  }

  /** The backend socket is gone: its buffer, if no write holds it, serves another reader. */
  release(): void {
    if (this.buffer && this.client.writableLength === 0) returnBulkBuffer(this.buffer);
    this.buffer = undefined;
  }
}
