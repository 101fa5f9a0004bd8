import { TAIL_MAX_LINES_PER_SECOND, type TAccessRecord, ZAccessRecord } from '@fulcrum/protocol';
import { z } from 'zod';

/** NOTIFY refuses payloads of 8000 bytes or more. */
export const TAIL_PAYLOAD_MAX_BYTES = 7_999;
/**
 * Notifications being sent at once (at most ~512 KiB); past this (a slow database) lines are
 * dropped and counted, never queued. 16 dropped 2 % of a full tail from 3 data planes at a load
 * average of 13 (bench:tail), when a few sends stalled for half a second.
 */
const MAX_IN_FLIGHT = 64;

const ZLinesMessage = z.object({
  cp: z.string().min(1).max(200),
  d: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  l: z.array(ZAccessRecord).max(TAIL_MAX_LINES_PER_SECOND),
});

export interface TailLineFeedCounters {
  /** Notifications sent, and the lines in them. */
  published: number;
  publishedLines: number;
  /** Lines not sent: one line alone over the payload limit, too many sends waiting, or the database failed (each passed on as dropped). */
  dropped: number;
  /** Notifications of other replicas taken, and those refused (not the shape, or not under the bounds). */
  received: number;
  refused: number;
}

/**
 * Packs lines into NOTIFY payloads under TAIL_PAYLOAD_MAX_BYTES, in order; the dropped count
 * rides in the first. A line that cannot fit a payload alone (a long path of escaped or
 * multi-byte characters; ordinary lines are ~400 bytes) is left out and counted as dropped.
 */
export function packTailPayloads(controlPlaneId: string, lines: TAccessRecord[], dropped: number): { payloads: string[]; lines: number[]; tooBig: number } {
  const head = (d: number) => `{"cp":${JSON.stringify(controlPlaneId)},"d":${d},"l":[`;
  const encoded: string[] = [];
  let tooBig = 0;
  // Room for the largest `d` the count can take, so the first payload stays under the limit once it is written.
  const room = TAIL_PAYLOAD_MAX_BYTES - Buffer.byteLength(head(Number.MAX_SAFE_INTEGER)) - 2;
  for (const l of lines) {
    const json = JSON.stringify(l);
    if (Buffer.byteLength(json) > room) tooBig++;
    else encoded.push(json);
  }
  const payloads: string[] = [];
  const counts: number[] = [];
  let chunk: string[] = [];
  let size = 0;
  const flush = () => {
    payloads.push(`${head(payloads.length === 0 ? dropped + tooBig : 0)}${chunk.join(',')}]}`);
    counts.push(chunk.length);
    chunk = [];
    size = 0;
  };
  for (const json of encoded) {
    const bytes = Buffer.byteLength(json) + 1;
    if (chunk.length && size + bytes > room) flush();
    chunk.push(json);
    size += bytes;
  }
  if (chunk.length || (payloads.length === 0 && dropped + tooBig > 0)) flush();
  return { payloads, lines: counts, tooBig };
}

/**
 * Live-tail lines between control-plane replicas, in NOTIFY payloads. The replica holding a data
 * plane's link passes on the lines of pools watched on other replicas (TailWatchLeases), already
 * checked and bounded (ReportGuard: 200 lines/s per data plane), so the traffic is at most ~80
 * KiB/s per data plane, a dozen notifications. Why payloads rather than rows like stats frames:
 * a tail is sampled and live, so a line missed during a LISTEN reconnect need not be read again,
 * nothing is written to tables or WAL, and nothing has to be pruned. Lines that could not be sent
 * are counted and go out as `dropped` with the next payload, so the watcher sees the count.
 */
export class TailLineFeed {
  readonly counters: TailLineFeedCounters = { published: 0, publishedLines: 0, dropped: 0, received: 0, refused: 0 };
  private inFlight = 0;
  /** Lines lost on this side since the last payload that went out, passed on with the next. */
  private owed = 0;

  constructor(
    private readonly controlPlaneId: string,
    /** Sends one notification on CHANNEL_TAIL_LINES. */
    private readonly notify: (payload: string) => Promise<void>,
    /** Gets the lines (and dropped count) another replica's data planes sent. */
    private readonly onLines: (lines: TAccessRecord[], dropped: number) => void,
  ) {}

  /** Sends lines for pools watched elsewhere. Never waits on the database. */
  publish(lines: TAccessRecord[], dropped: number): void {
    if (lines.length === 0 && dropped === 0 && this.owed === 0) return;
    const counted = dropped + this.owed;
    const packed = packTailPayloads(this.controlPlaneId, lines, counted);
    this.owed = 0;
    this.counters.dropped += packed.tooBig;
    packed.payloads.forEach((payload, i) => {
      const n = packed.lines[i]!;
      // The first payload carries the dropped count: when it cannot go, the count is owed too.
      const carried = i === 0 ? counted + packed.tooBig : 0;
      if (this.inFlight >= MAX_IN_FLIGHT) {
        this.owe(n, carried);
        return;
      }
      this.inFlight++;
      this.notify(payload)
        .then(
          () => {
            this.counters.published++;
            this.counters.publishedLines += n;
          },
          () => this.owe(n, carried),
        )
        .finally(() => this.inFlight--);
    });
  }

  /** A notification on CHANNEL_TAIL_LINES: another replica's lines, checked again (the database is shared, not trusted blindly). */
  heard(payload: string): void {
    let msg: z.infer<typeof ZLinesMessage>;
    try {
      const parsed = ZLinesMessage.safeParse(JSON.parse(payload));
      if (!parsed.success) return void this.counters.refused++;
      msg = parsed.data;
    } catch {
      return void this.counters.refused++;
    }
    if (msg.cp === this.controlPlaneId) return;
    this.counters.received++;
    this.onLines(msg.l, msg.d);
  }

  private owe(lines: number, carried: number): void {
    this.counters.dropped += lines;
    this.owed += lines + carried;
  }
}
