import type { PrismaClient } from '@fulcrum/db';
import { TAIL_MAX_LINES_PER_SECOND, type TAccessRecord, type TDataplaneEvent, type TStatsFrame, type TTailLinesMessage } from '@fulcrum/protocol';
import { getRevision } from '../services/revisions/revisions';

/** Pool id → its backend ids, for one config version. */
/** What a config version runs: pools with their backend ids, and listener ids. */
interface Scope {
  pools: Map<string, Set<string>>;
  listeners: Set<string>;
}
const emptyScope = (): Scope => ({ pools: new Map(), listeners: new Set() });

// Versions are immutable, so their scopes are kept; an unknown version is asked again only after a while.
const SCOPE_CACHE_SIZE = 16;
const UNKNOWN_VERSION_RETRY_MS = 5_000;
/** A data plane sends one frame a second; the headroom absorbs frames bunched by a slow link. */
const MAX_FRAMES_PER_SECOND = 10;
/** Enough for a large pool's backends all flipping at once, not for a flood of rows. */
const MAX_EVENTS_PER_10S = 500;
const MAX_EVENT_DATA_BYTES = 4096;
/** A frame this far from the control plane's clock would be filed under the wrong seconds (or push real ones out). */
const MAX_CLOCK_SKEW_MS = 60_000;

/** What a guard dropped, by kind (for the log, tests and the operator's questions). */
export interface TDroppedReports {
  frames: number;
  pools: number;
  backends: number;
  /** Listener counters for listeners not in the applied version. */
  listeners: number;
  events: number;
  eventData: number;
  tailLines: number;
}

/** A fixed-window rate bound for one connection. */
export class WindowLimit {
  private windowStart = 0;
  private count = 0;
  constructor(
    private readonly max: number,
    private readonly windowMs: number,
  ) {}

  take(now = Date.now()): boolean {
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.count = 0;
    }
    return ++this.count <= this.max;
  }
}

export interface ReportLimits {
  frames: WindowLimit;
  events: WindowLimit;
  /** Live-tail lines: the data plane's own bound, enforced again here. */
  tail: WindowLimit;
}

export function newReportLimits(): ReportLimits {
  return { frames: new WindowLimit(MAX_FRAMES_PER_SECOND, 1000), events: new WindowLimit(MAX_EVENTS_PER_10S, 10_000), tail: new WindowLimit(TAIL_MAX_LINES_PER_SECOND, 1000) };
}

/**
 * A data plane reports only on what it runs: stats and events are accepted for the pools and
 * backends of the config version it last said it applied, filed under its own bound id, at a
 * bounded rate. Everything else is dropped and counted, so a token cannot write charts, deploy
 * gates or autoscaling inputs for pools, backends or data planes that are not its own.
 */
export class ReportGuard {
  readonly dropped: TDroppedReports = { frames: 0, pools: 0, backends: 0, listeners: 0, events: 0, eventData: 0, tailLines: 0 };
  private readonly scopes = new Map<number, { scope: Promise<Scope>; unknownAt?: number }>();

  constructor(private readonly prisma: PrismaClient) {}

  private scope(version: number | null): Promise<Scope> {
    if (version === null) return Promise.resolve(emptyScope());
    const cached = this.scopes.get(version);
    if (cached && (cached.unknownAt === undefined || Date.now() - cached.unknownAt < UNKNOWN_VERSION_RETRY_MS)) return cached.scope;
    const entry: { scope: Promise<Scope>; unknownAt?: number } = { scope: Promise.resolve(emptyScope()) };
    entry.scope = getRevision(this.prisma, version).then(
      (r) => ({ pools: new Map(r.snapshot.pools.map((p) => [p.id, new Set(p.backends.map((b) => b.id))])), listeners: new Set(r.snapshot.listeners.map((l) => l.id)) }),
      () => {
        entry.unknownAt = Date.now();
        return emptyScope();
      },
    );
    this.scopes.delete(version);
    this.scopes.set(version, entry);
    if (this.scopes.size > SCOPE_CACHE_SIZE) this.scopes.delete(this.scopes.keys().next().value!);
    return entry.scope;
  }

  /** The frame as it may be stored (under `dataplaneId`, only in-scope entries), or null to drop it whole. */
  async frame(frame: TStatsFrame, dataplaneId: string, appliedVersion: number | null, limits: ReportLimits): Promise<TStatsFrame | null> {
    if (!limits.frames.take() || Math.abs(frame.ts - Date.now()) > MAX_CLOCK_SKEW_MS) {
      this.dropped.frames++;
      return null;
    }
    const scope = await this.scope(appliedVersion);
    const pools: TStatsFrame['pools'] = [];
    const seenPools = new Set<string>();
    for (const p of frame.pools) {
      const backendIds = scope.pools.get(p.poolId);
      if (!backendIds || seenPools.has(p.poolId)) {
        this.dropped.pools++;
        continue;
      }
      seenPools.add(p.poolId);
      const seen = new Set<string>();
      const backends = p.backends.filter((b) => {
        const keep = backendIds.has(b.backendId) && !seen.has(b.backendId);
        seen.add(b.backendId);
        if (!keep) this.dropped.backends++;
        return keep;
      });
      // Everything else of the pool (its client-side counters) comes along as the data plane sent it.
      pools.push({ ...p, backends });
    }
    // A listener's own answers only for listeners of that version, each once.
    const seenListeners = new Set<string>();
    const listeners = (frame.listeners ?? []).filter((l) => {
      const keep = scope.listeners.has(l.listenerId) && !seenListeners.has(l.listenerId);
      seenListeners.add(l.listenerId);
      if (!keep) this.dropped.listeners++;
      return keep;
    });
    const { listeners: _sent, ...rest } = frame;
    return { ...rest, dataplaneId, pools, ...(listeners.length ? { listeners } : {}) };
  }

  /** The event as it may be recorded, or null to drop it. */
  async event(event: TDataplaneEvent, appliedVersion: number | null, limits: ReportLimits): Promise<TDataplaneEvent | null> {
    if (!limits.events.take()) {
      this.dropped.events++;
      return null;
    }
    if (event.poolId || event.backendId) {
      const scope = await this.scope(appliedVersion);
      const backendIds = event.poolId ? scope.pools.get(event.poolId) : undefined;
      const inScope = event.poolId ? backendIds !== undefined && (!event.backendId || backendIds.has(event.backendId)) : [...scope.pools.values()].some((s) => s.has(event.backendId!));
      if (!inScope) {
        this.dropped.events++;
        return null;
      }
    }
    if (event.data !== undefined && JSON.stringify(event.data).length > MAX_EVENT_DATA_BYTES) {
      this.dropped.eventData++;
      return { ...event, data: undefined };
    }
    return event;
  }

  /**
   * Live-tail lines as they may reach dashboards: only for pools someone here watches and the
   * data plane runs, at most TAIL_MAX_LINES_PER_SECOND a second whatever the data plane claims.
   * `dropped` adds the data plane's own count to what was dropped here.
   */
  async tailLines(msg: TTailLinesMessage, appliedVersion: number | null, limits: ReportLimits, watched: (poolId: string) => boolean): Promise<{ lines: TAccessRecord[]; dropped: number }> {
    const scope = await this.scope(appliedVersion);
    const lines: TAccessRecord[] = [];
    let dropped = 0;
    for (const l of msg.lines) {
      if (!watched(l.poolId) || !scope.pools.has(l.poolId)) {
        this.dropped.tailLines++;
        continue;
      }
      if (!limits.tail.take()) {
        this.dropped.tailLines++;
        dropped++;
        continue;
      }
      lines.push(l);
    }
    return { lines, dropped: dropped + msg.dropped };
  }
}
