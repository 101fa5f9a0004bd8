import type { TAccessLogSettings, TAccessRecord, TSnapshotPool } from '@fulcrum/protocol';
import { combinedLine, isNoteworthy } from './access-record';
import type { AccessLogWriter } from './access-log-writer';
import { LiveTail } from './live-tail';

/**
 * A data plane's access log: the writer (when `--access-log` names one) and the live tail.
 * Requests ask `wants` first, so a pool with neither pays nothing but the question.
 */
export class AccessLog {
  readonly tail: LiveTail;

  constructor(
    readonly writer: AccessLogWriter | undefined,
    private readonly random: () => number = Math.random,
    tail = new LiveTail(),
  ) {
    this.tail = tail;
  }

  wants(pool: TSnapshotPool): boolean {
    return (this.writer !== undefined && pool.accessLog.enabled) || this.tail.watching(pool.id);
  }

  /** One finished exchange: written when the pool's settings and sample rate say so, and offered to the tail. */
  record(pool: TSnapshotPool, r: TAccessRecord): void {
    this.write(pool.accessLog, r);
    if (this.tail.watching(pool.id)) this.tail.offer(r);
  }

  /** An answer a listener gave itself (no pool's): written under the settings given, never tailed (the tail is a pool's). */
  recordAnswer(settings: TAccessLogSettings, r: TAccessRecord): void {
    this.write(settings, r);
  }

  private write(settings: TAccessLogSettings, r: TAccessRecord): void {
    const writer = this.writer;
    if (writer && settings.enabled && (settings.sampleRate >= 1 || isNoteworthy(r) || this.random() < settings.sampleRate)) {
      if (settings.format === 'combined') writer.write(combinedLine(r));
      else writer.writeJson(r);
    }
  }
}
