import type { TAccessRecord } from '@fulcrum/protocol';

/** What one dashboard watching one pool gets: records, and how many were left out since the last batch. */
export interface TailBatch {
  lines: TAccessRecord[];
  /** Lines dropped over the bounds (data planes', the hub's, or this watcher's own queue). */
  dropped: number;
}

/** A watcher reads its queue on its own pace; past this many waiting lines new ones are dropped. */
const MAX_QUEUED_LINES = 1000;

/**
 * One dashboard watching one pool's tail: a bounded queue its subscription drains. Lines beyond
 * the bound are counted, not kept, so a slow browser cannot grow the control plane's memory.
 */
export class TailWatcher {
  private lines: TAccessRecord[] = [];
  private dropped = 0;
  private wake: (() => void) | undefined;

  constructor(readonly poolId: string) {}

  push(lines: TAccessRecord[], dropped: number): void {
    this.dropped += dropped;
    for (const l of lines) {
      if (this.lines.length >= MAX_QUEUED_LINES) this.dropped++;
      else this.lines.push(l);
    }
    this.wake?.();
  }

  /**
   * Resolves once something waits (or the signal aborts: undefined); returns it and starts over.
   * After `idleMs` with nothing, resolves with an empty batch (the caller re-says what it covers).
   */
  async next(signal: AbortSignal, idleMs = Number.POSITIVE_INFINITY): Promise<TailBatch | undefined> {
    const deadline = Date.now() + idleMs;
    while (this.lines.length === 0 && this.dropped === 0) {
      if (signal.aborted) return undefined;
      const left = deadline - Date.now();
      if (left <= 0) return { lines: [], dropped: 0 };
      await new Promise<void>((resolve) => {
        // Each wait takes its abort listener away again: a watch lives for hours, one wait per batch.
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          resolve();
        };
        const timer = Number.isFinite(left) ? setTimeout(done, left) : undefined;
        this.wake = done;
        signal.addEventListener('abort', done, { once: true });
      });
      this.wake = undefined;
    }
    const out = { lines: this.lines, dropped: this.dropped };
    this.lines = [];
    this.dropped = 0;
    return out;
  }
}

/**
 * Who watches which pool's live tail on this control-plane replica. The hub asks its data
 * planes for exactly the watched pools (`onChange`) and stops them when the last watcher leaves;
 * lines the data planes send are handed to the watchers of their pool.
 */
export class TailRelay {
  private readonly watchers = new Map<string, Set<TailWatcher>>();

  constructor(private readonly onChange: (poolIds: string[]) => void) {}

  watch(poolId: string): { watcher: TailWatcher; stop: () => void } {
    const watcher = new TailWatcher(poolId);
    let set = this.watchers.get(poolId);
    const added = !set;
    if (!set) this.watchers.set(poolId, (set = new Set()));
    set.add(watcher);
    if (added) this.onChange(this.poolIds());
    const stop = () => {
      const s = this.watchers.get(poolId);
      if (!s?.delete(watcher) || s.size > 0) return;
      this.watchers.delete(poolId);
      this.onChange(this.poolIds());
    };
    return { watcher, stop };
  }

  poolIds(): string[] {
    return [...this.watchers.keys()];
  }

  isWatched(poolId: string): boolean {
    return this.watchers.has(poolId);
  }

  /** Lines already checked (watched pools the data plane runs, within the bound), by pool; `dropped` goes to every watcher. */
  deliver(lines: TAccessRecord[], dropped: number): void {
    const byPool = new Map<string, TAccessRecord[]>();
    for (const l of lines) {
      const list = byPool.get(l.poolId);
      if (list) list.push(l);
      else byPool.set(l.poolId, [l]);
    }
    for (const [poolId, set] of this.watchers) {
      const mine = byPool.get(poolId) ?? [];
      if (mine.length === 0 && dropped === 0) continue;
      for (const w of set) w.push(mine, dropped);
    }
  }
}
