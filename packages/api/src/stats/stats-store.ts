import {
  type TBackendStats,
  type TListenerStats,
  type TPoolClientStats,
  type TStatsFrame,
  emptyBackendStats,
  emptyListenerStats,
  mergeBackendStats,
  mergeClientStats,
  mergeListenerStats,
} from '@fulcrum/protocol';

/** Seconds kept in memory per pool (and stored frames kept for replicas that start later). */
export const WINDOW_SECONDS = 15 * 60;
/** Buckets of this many seconds are rolled up into Postgres, each once it is over, on a timer of the same period. */
export const ROLLUP_SECONDS = 10;
/** A bucket is rolled up this long after it ends, when the frames of its last second are in. */
export const ROLLUP_SETTLE_MS = 5_000;

export interface BackendPoint extends Omit<TBackendStats, 'backendId'> {
  /** Second (ms since epoch, floored) this point covers. */
  ts: number;
  /** Data planes that reported it. */
  dataplanes: number;
}

export interface PoolSecond {
  ts: number;
  backends: Record<string, BackendPoint>;
  /** What the pool's clients got, merged over the data planes that report it (absent from older data planes). */
  client?: TPoolClientStats;
  /** Data planes whose frames are in this second. */
  reporters?: string[];
}

/** Listeners' own answers (404 no route, redirects, fixed responses, 429, 503) in one second, merged over data planes. */
export interface ListenerSecond {
  ts: number;
  listeners: Map<string, TListenerStats>;
}

/** Seconds of listener answers kept: the Listeners page shows the newest complete one. */
const LISTENER_WINDOW_SECONDS = 60;

function emptyPoint(ts: number): BackendPoint {
  return { ts, dataplanes: 0, ...emptyBackendStats() };
}

/**
 * Live traffic per pool and backend, merged across data planes (mergeBackendStats), one point
 * per second for the last 15 minutes (a ring per pool). The 10 s rollups into PostgreSQL are
 * stats-rollups.ts's, from the stored frames.
 */
export class StatsStore {
  private pools = new Map<string, PoolSecond[]>();
  private listeners = new Set<(poolId: string, second: PoolSecond) => void>();
  /** Oldest first, one entry per second that had any listener answer. */
  private listenerSeconds: ListenerSecond[] = [];

  add(frame: TStatsFrame): void {
    const ts = Math.floor(frame.ts / 1000) * 1000;
    if (frame.listeners?.length) this.addListeners(ts, frame.listeners);
    for (const pool of frame.pools) {
      const ring = this.pools.get(pool.poolId) ?? [];
      this.pools.set(pool.poolId, ring);
      // Frames arrive in time order, so the second is at (or near) the end of the ring.
      let second: PoolSecond | undefined;
      for (let i = ring.length - 1; i >= 0 && ring[i]!.ts >= ts; i--) if (ring[i]!.ts === ts) second = ring[i];
      if (!second) {
        second = { ts, backends: {} };
        ring.push(second);
        ring.sort((a, b) => a.ts - b.ts);
        while (ring.length && ring[0]!.ts < ts - WINDOW_SECONDS * 1000) ring.shift();
      }
      for (const b of pool.backends) {
        const p = (second.backends[b.backendId] ??= emptyPoint(ts));
        p.dataplanes++;
        mergeBackendStats(p, b);
      }
      if (pool.client) {
        if (second.client) mergeClientStats(second.client, pool.client);
        else second.client = structuredClone(pool.client);
      }
      (second.reporters ??= []).includes(frame.dataplaneId) || second.reporters.push(frame.dataplaneId);
      for (const l of this.listeners) l(pool.poolId, second);
    }
  }

  private addListeners(ts: number, listeners: readonly TListenerStats[]): void {
    const ring = this.listenerSeconds;
    let second: ListenerSecond | undefined;
    for (let i = ring.length - 1; i >= 0 && ring[i]!.ts >= ts; i--) if (ring[i]!.ts === ts) second = ring[i];
    if (!second) {
      second = { ts, listeners: new Map() };
      ring.push(second);
      ring.sort((a, b) => a.ts - b.ts);
      while (ring.length && ring[0]!.ts < ts - LISTENER_WINDOW_SECONDS * 1000) ring.shift();
    }
    for (const l of listeners) {
      let into = second.listeners.get(l.listenerId);
      if (!into) second.listeners.set(l.listenerId, (into = emptyListenerStats(l.listenerId)));
      mergeListenerStats(into, l);
    }
  }

  /** Every listener's own answers in the second starting at `ts`, merged across data planes (listeners that answered nothing are absent). */
  listenersAt(ts: number): Record<string, TListenerStats> {
    const second = this.listenerSeconds.findLast((s) => s.ts === ts);
    return second ? Object.fromEntries(second.listeners) : {};
  }

  /** The last `seconds` of a pool, oldest first. */
  recent(poolId: string, seconds = WINDOW_SECONDS): PoolSecond[] {
    const ring = this.pools.get(poolId) ?? [];
    const since = Date.now() - seconds * 1000;
    return ring.filter((s) => s.ts >= since);
  }

  /** Every pool's merged second starting at `ts` (or one pool's), for live views. */
  secondAt(ts: number, poolId?: string): Record<string, Record<string, BackendPoint>> {
    const out: Record<string, Record<string, BackendPoint>> = {};
    for (const [id, ring] of this.pools) {
      if (poolId && id !== poolId) continue;
      for (let i = ring.length - 1; i >= 0 && ring[i]!.ts >= ts; i--) if (ring[i]!.ts === ts) out[id] = ring[i]!.backends;
    }
    return out;
  }

  /** Every pool's whole merged second starting at `ts` (or one pool's): backends, client counters, reporters. */
  poolsAt(ts: number, poolId?: string): Record<string, PoolSecond> {
    const out: Record<string, PoolSecond> = {};
    for (const [id, ring] of this.pools) {
      if (poolId && id !== poolId) continue;
      for (let i = ring.length - 1; i >= 0 && ring[i]!.ts >= ts; i--) if (ring[i]!.ts === ts) out[id] = ring[i]!;
    }
    return out;
  }

  subscribe(listener: (poolId: string, second: PoolSecond) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Each pool's ring of seconds, oldest first (for the rollups). */
  rings(): IterableIterator<[string, PoolSecond[]]> {
    return this.pools.entries();
  }
}
