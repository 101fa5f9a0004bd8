import { EventEmitter } from 'node:events';
import { type TConfigSnapshot, type TDataplaneEvent, type TStatsFrame, ZConfigSnapshot, backendAddress } from '@fulcrum/protocol';
import { ActiveHealthChecker } from './health/active-checker';
import { OutlierDetector } from './health/outlier-detector';
import { sendErrorPage } from './http/error-page';
import { proxyHttpRequest } from './http/http-proxy';
import { proxyUpgrade } from './http/upgrade-proxy';
import { UpstreamPool } from './http/upstream/upstream-pool';
import type { MetricsView } from './admin/prometheus';
import { BackendState } from './runtime/backend-state';
import { ListenerManager } from './runtime/listener-manager';
import { PoolRuntime, type RuntimeBackend, stickyKeyOf } from './runtime/pool-runtime';
import { PoolStats } from './stats/pool-stats';
import { proxyTcpConnection } from './tcp/tcp-proxy';

export type ApplyResult = { ok: true; version: number; skipped?: boolean } | { ok: false; error: string; keptVersion: number | null };

interface Runtime {
  snapshot: TConfigSnapshot;
  pools: Map<string, PoolRuntime>;
}

export interface DataplaneOptions {
  id?: string;
  now?: () => number;
  random?: () => number;
}

/**
 * The proxy: listeners, balancers, health and stats, driven by config snapshots. A snapshot is
 * validated, built into a whole new runtime beside the old one and switched in with one
 * reference; each request reads the runtime once when it starts, so in-flight requests finish
 * on the config they began with.
 */
export class Dataplane extends EventEmitter<{ event: [TDataplaneEvent]; applied: [number] }> {
  readonly id: string;
  private runtime: Runtime | undefined;
  private readonly states = new Map<string, BackendState>();
  /** Client-side counters per pool id, kept across snapshots like backend states. */
  private readonly poolStats = new Map<string, PoolStats>();
  /** The newest frame collected, for /stats. */
  lastFrame: TStatsFrame | undefined;
  private readonly upstreams = new Map<string, UpstreamPool>();
  private readonly sockets: ListenerManager;
  private readonly health: ActiveHealthChecker;
  private readonly outliers: OutlierDetector;
  private readonly now: () => number;
  private readonly random: () => number;
  private lastFlush = Date.now();
  private applying: Promise<unknown> = Promise.resolve();
  readonly recentEvents: TDataplaneEvent[] = [];

  constructor(opts: DataplaneOptions = {}) {
    super();
    this.id = opts.id ?? `dp-${process.pid}`;
    this.now = opts.now ?? (() => performance.now());
    this.random = opts.random ?? Math.random;
    const emit = (e: TDataplaneEvent) => {
      this.recentEvents.push(e);
      if (this.recentEvents.length > 200) this.recentEvents.shift();
      this.emit('event', e);
    };
    this.health = new ActiveHealthChecker(this.now, emit);
    this.outliers = new OutlierDetector(this.now, emit);
    this.sockets = new ListenerManager({
      http: (poolId) => (req, res) => {
        const pool = this.runtime?.pools.get(poolId);
        if (!pool) {
          this.poolStats.get(poolId)?.proxyAnswer(503, 'reconfiguring');
          return sendErrorPage(res, 503, 'pool is being reconfigured', 'none');
        }
        proxyHttpRequest(pool, req, res, this.outliers);
      },
      idleMs: (poolId) => this.runtime?.pools.get(poolId)?.config.timeouts.idleMs ?? 60_000,
      stats: (poolId) => this.poolStats.get(poolId),
      upgrade: (poolId) => (req, socket, head) => {
        const pool = this.runtime?.pools.get(poolId);
        if (!pool) return socket.destroy();
        proxyUpgrade(pool, req, socket, head, this.outliers);
      },
      tcp: (poolId) => (socket) => {
        const pool = this.runtime?.pools.get(poolId);
        if (!pool) return socket.destroy();
        proxyTcpConnection(pool, socket, this.outliers);
      },
    });
  }

  get version(): number | null {
    return this.runtime?.snapshot.version ?? null;
  }

  get hash(): string | null {
    return this.runtime?.snapshot.hash ?? null;
  }

  get snapshot(): TConfigSnapshot | undefined {
    return this.runtime?.snapshot;
  }

  pool(idOrName: string): PoolRuntime | undefined {
    const pools = this.runtime?.pools;
    return pools?.get(idOrName) ?? [...(pools?.values() ?? [])].find((p) => p.config.name === idOrName);
  }

  /** Validates and applies a snapshot; applies are serialized. A refused one leaves the old serving. */
  applySnapshot(raw: unknown): Promise<ApplyResult> {
    const run = this.applying.then(() => this.applyNow(raw));
    this.applying = run.catch(() => undefined);
    return run;
  }

  private async applyNow(raw: unknown): Promise<ApplyResult> {
    const keptVersion = this.version;
    const parsed = ZConfigSnapshot.safeParse(raw);
    if (!parsed.success) {
      const error = parsed.error.issues.map((i) => `${i.path.join('.') || 'snapshot'}: ${i.message}`).join('; ');
      this.refused(error, raw);
      return { ok: false, error, keptVersion };
    }
    const snapshot = parsed.data;
    if (this.runtime && snapshot.hash === this.runtime.snapshot.hash) {
      this.runtime = { ...this.runtime, snapshot: { ...this.runtime.snapshot, version: snapshot.version } };
      return { ok: true, version: snapshot.version, skipped: true };
    }
    let commitListeners: () => void;
    try {
      commitListeners = await this.sockets.prepare(snapshot.pools);
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      this.refused(error, raw);
      return { ok: false, error, keptVersion };
    }
    const first = this.runtime === undefined;
    const next: Runtime = { snapshot, pools: new Map(snapshot.pools.map((p) => [p.id, this.buildPool(p, first)])) };
    const previous = this.runtime;
    this.runtime = next;
    commitListeners();
    this.health.start(next.pools.values());
    if (previous) this.retireRemoved(previous, next);
    this.emit('applied', snapshot.version);
    return { ok: true, version: snapshot.version };
  }

  private refused(error: string, raw: unknown): void {
    const version = typeof raw === 'object' && raw !== null && 'version' in raw ? (raw as { version: unknown }).version : undefined;
    this.emit('event', { kind: 'snapshot_refused', severity: 'error', message: `snapshot ${String(version ?? '?')} refused: ${error}`, data: { error }, ts: Date.now() });
  }

  private buildPool(p: TConfigSnapshot['pools'][number], first: boolean): PoolRuntime {
    const backends: RuntimeBackend[] = p.backends.map((b, index) => {
      let state = this.states.get(b.id);
      if (!state) {
        state = new BackendState(b.id);
        // A backend added to a running data plane ramps up like one that just became healthy.
        if (!first) state.healthySince = this.now();
        this.states.set(b.id, state);
      }
      const address = backendAddress(b);
      let upstream = this.upstreams.get(address);
      if (!upstream) {
        upstream = new UpstreamPool(b.host, b.port);
        this.upstreams.set(address, upstream);
      }
      return { id: b.id, index, weight: b.weight, config: b, state, address, stickyKey: stickyKeyOf(b.id), upstream };
    });
    let stats = this.poolStats.get(p.id);
    if (!stats) {
      stats = new PoolStats();
      this.poolStats.set(p.id, stats);
    }
    return new PoolRuntime(p, backends, { now: this.now, random: this.random, stats });
  }

  /** Backends gone from the config: their state goes now, their connections after the drain timeout. */
  private retireRemoved(previous: Runtime, next: Runtime): void {
    const keptIds = new Set<string>();
    const keptAddresses = new Set<string>();
    for (const pool of next.pools.values()) for (const b of pool.backends) (keptIds.add(b.id), keptAddresses.add(b.address));
    for (const id of previous.pools.keys()) if (!next.pools.has(id)) this.poolStats.delete(id);
    for (const pool of previous.pools.values()) {
      for (const b of pool.backends) {
        if (!keptIds.has(b.id)) this.states.delete(b.id);
        if (!keptAddresses.has(b.address) && this.upstreams.get(b.address) === b.upstream) {
          this.upstreams.delete(b.address);
          setTimeout(() => b.upstream.destroy(), pool.config.drainTimeoutMs).unref();
        }
      }
    }
  }

  /** Per-pool client counters and per-backend upstream counters since the last frame, plus gauges; once a second for the control plane. */
  collectFrame(): TStatsFrame {
    const ts = Date.now();
    const intervalMs = Math.max(1, ts - this.lastFlush);
    this.lastFlush = ts;
    const now = this.now();
    const pools = [...(this.runtime?.pools.values() ?? [])].map((pool) => ({
      poolId: pool.config.id,
      client: pool.stats.flush(),
      backends: pool.backends.map((b) => {
        const s = b.state.stats.flush();
        return {
          backendId: b.id,
          requests: s.requests,
          responses: s.responses,
          errors: s.errors,
          activeConnections: b.state.active,
          bytesIn: s.bytesIn,
          bytesOut: s.bytesOut,
          latencyMs: s.latencyMs,
          latency: s.latency,
          health: b.state.healthKnown ? (b.state.healthy ? ('healthy' as const) : ('unhealthy' as const)) : ('unknown' as const),
          ejected: b.state.isEjected(now),
        };
      }),
    }));
    this.lastFrame = { dataplaneId: this.id, ts, intervalMs, configVersion: this.version, pools };
    return this.lastFrame;
  }

  /** Running totals for /metrics and /stats: per pool what clients got, per backend the upstream attempts. */
  metricsView(): MetricsView {
    const pools = [...(this.runtime?.pools.values() ?? [])];
    return {
      pools: pools.map((p) => ({ pool: p.config.name, poolId: p.config.id, client: p.stats.totals, latency: p.stats.latencyTotals.toJSON() })),
      backends: this.backendViews(),
    };
  }

  /** Every backend's running totals and live state, for /stats and /metrics. */
  backendViews() {
    const now = this.now();
    return [...(this.runtime?.pools.values() ?? [])].flatMap((pool) =>
      pool.backends.map((b) => ({
        pool: pool.config.name,
        poolId: pool.config.id,
        backendId: b.id,
        address: b.address,
        adminState: b.config.adminState,
        healthy: b.state.healthy,
        ejected: b.state.isEjected(now),
        active: b.state.active,
        ewmaMs: b.state.ewmaMs,
        totals: b.state.stats.totals,
        latency: b.state.stats.latencyTotals.toJSON(),
      })),
    );
  }

  /** The port a pool listens on (by id or name). */
  boundPort(idOrName: string): number | undefined {
    const pool = this.pool(idOrName);
    return pool ? this.sockets.boundPort(pool.config) : undefined;
  }

  async stop(): Promise<void> {
    this.health.stop();
    await this.sockets.closeAll();
    for (const u of this.upstreams.values()) u.destroy();
    this.upstreams.clear();
  }
}
