import { Buffer } from 'node:buffer';
import { randomFillSync } from 'node:crypto';

/** The longest client X-Request-Id the proxy keeps (tracing ids are 16–64 characters). */
export const MAX_CLIENT_REQUEST_ID = 128;

/** 1 to MAX_CLIENT_REQUEST_ID visible ASCII characters: no space, no control or non-ASCII byte. */
const WELL_FORMED = new RegExp(`^[\\x21-\\x7e]{1,${MAX_CLIENT_REQUEST_ID}}$`);

interface HasHeaders {
  header(lowerName: string): string | undefined;
}

/**
 * The client's X-Request-Id when it is well formed, else undefined. A client's id is copied into
 * the upstream request, every log and tail line and error answer, so one longer than a tracing id
 * or holding spaces or bytes outside visible ASCII is not taken on (the proxy makes its own).
 */
export function clientRequestId(req: HasHeaders): string | undefined {
  const given = req.header('x-request-id');
  return given !== undefined && WELL_FORMED.test(given) ? given : undefined;
}

/** Ids made per draw of random bytes. */
const BATCH = 128;
const HEX = '0123456789abcdef';
/** Each byte's two hex digits as one 16-bit little-endian value: the first digit in the low byte. */
const HEX_PAIRS = Uint16Array.from({ length: 256 }, (_, b) => HEX.charCodeAt(b >> 4) | (HEX.charCodeAt(b & 15) << 8));
/** Where each of a UUID's 16 bytes is written as two digits: the dashes (8, 13, 18, 23) lie between. */
const PAIR_AT = Uint8Array.from([0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34]);

/**
 * New request ids: random (version 4) UUIDs, as `crypto.randomUUID` makes them, from the same
 * CSPRNG. A batch's 128 ids are formatted at once into one string, and each id is a slice of
 * it: `randomUUID` builds each of its own from 20 string joins, which the socket write then
 * has to flatten, about a twentieth of a small proxied request's own work. The dashes are
 * written once; a batch writes each random byte as one 16-bit store of its two digits.
 */
class UuidBatch {
  private readonly random = Buffer.alloc(16 * BATCH);
  private readonly text = Buffer.alloc(36 * BATCH, '-', 'latin1');
  private readonly digits = new DataView(this.text.buffer, this.text.byteOffset, this.text.length);
  private ids = '';
  private next = BATCH;

  take(): string {
    if (this.next === BATCH) this.refill();
    const at = this.next++ * 36;
    return this.ids.slice(at, at + 36);
  }

  private refill(): void {
    const random = this.random;
    const digits = this.digits;
    // Module bindings through locals: optimized code loads a module's binding again at every use.
    const pairs = HEX_PAIRS;
    const pairAt = PAIR_AT;
    randomFillSync(random);
    for (let r = 0, t = 0; r < random.length; r += 16, t += 36) {
      random[r + 6] = (random[r + 6]! & 0x0f) | 0x40; // version 4
      random[r + 8] = (random[r + 8]! & 0x3f) | 0x80; // the RFC 9562 variant
      for (let i = 0; i < 16; i++) digits.setUint16(t + pairAt[i]!, pairs[random[r + i]!]!, true);
    }
    this.ids = this.text.toString('latin1');
    this.next = 0;
  }
}

const uuids = new UuidBatch();

/** The request's id: the client's well-formed X-Request-Id, or a new UUID. */
export function requestIdOf(req: HasHeaders): string {
  return clientRequestId(req) ?? uuids.take();
}
