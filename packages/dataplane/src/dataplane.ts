import process from 'node:process';
import { eventClock } from './io/event-clock';
import { ListenerCertificates, SecureContextCache } from './tls/listener-certificates';
import { EventEmitter } from 'node:events';
import {
  LISTENER_HTTP_DEFAULTS,
  type TConfigSnapshot,
  type TDataplaneEvent,
  type TRefusedPool,
  type TSnapshotRoute,
  type TStatsFrame,
  backendAddress,
  healthCheckSecretRefs,
  readSnapshot,
} from '@fulcrum/protocol';
import { AcmeChallengeAnswers } from './acme/acme-challenge-answers';
import { AccessLog } from './access-log/access-log';
import type { AccessLogWriter } from './access-log/access-log-writer';
import { refusalRecord } from './access-log/refusal-record';
import { ActiveHealthChecker } from './health/active-checker';
import { OutlierDetector } from './health/outlier-detector';
import { sendErrorPage } from './http/error-page';
import { proxyUpgrade } from './http/upgrade-proxy';
import { UpstreamPool } from './http/upstream/upstream-pool';
import type { MetricsView } from './admin/prometheus';
import { BackendState } from './runtime/backend-state';
import { internalErrors } from './runtime/internal-errors';
import { ListenerManager } from './runtime/listener-manager';
import { PoolRuntime, type RuntimeBackend, stickyKeyOf } from './runtime/pool-runtime';
import { ListenerRuntime } from './routing/listener-runtime';
import { RateLimiter } from './routing/rate-limiter';
import { ListenerStats } from './stats/listener-stats';
import { PoolStats } from './stats/pool-stats';
import { proxyTcpConnection } from './tcp/tcp-proxy';

/**
 * An applied snapshot may name pools it could not apply (`refused`): the rest run the version,
 * those keep their previous config or are down. A refused snapshot changed nothing.
 */
export type ApplyResult = { ok: true; version: number; skipped?: boolean; refused: TRefusedPool[] } | { ok: false; error: string; keptVersion: number | null };

interface Runtime {
  /** What runs: the snapshot received, with refused pools at their previous config or left out. */
  snapshot: TConfigSnapshot;
  /** The hash of the snapshot as received (differs from snapshot.hash when pools were refused). */
  receivedHash: string;
  refused: TRefusedPool[];
  pools: Map<string, PoolRuntime>;
  listeners: Map<string, ListenerRuntime>;
}

export interface DataplaneOptions {
  id?: string;
  now?: () => number;
  random?: () => number;
  /** Client connection caps: in total and per listener (see ConnectionLimits). */
  maxConnections?: number;
  maxListenerConnections?: number;
  /**
   * Whether this process runs the active health checks (default). A cluster worker that is not
   * the health leader does not: it takes the leader's results through observeHealth.
   */
  runHealthChecks?: boolean;
  /** Where access-log lines go (`--access-log`); without it only the live tail sees records. */
  accessLog?: AccessLogWriter;
}

/**
 * The proxy: listeners, balancers, health and stats, driven by config snapshots. A snapshot is
 * validated, built into a whole new runtime beside the old one and switched in with one
 * reference; each request reads the runtime once when it starts, so in-flight requests finish
 * on the config they began with.
 */
export class Dataplane extends EventEmitter<{ event: [TDataplaneEvent]; applied: [TConfigSnapshot] }> {
  readonly id: string;
  private runtime: Runtime | undefined;
  private readonly states = new Map<string, BackendState>();
  /** Client-side counters per pool id, kept across snapshots like backend states. */
  private readonly poolStats = new Map<string, PoolStats>();
  /** What each listener answered itself, per listener id, kept across snapshots. */
  private readonly listenerStats = new Map<string, ListenerStats>();
  /** The newest frame collected, for /stats. */
  lastFrame: TStatsFrame | undefined;
  private readonly upstreams = new Map<string, UpstreamPool>();
  /** Rate limiters per route id, kept across snapshots while the route's limit is unchanged. */
  private limiters = new Map<string, { spec: string; limiter: RateLimiter }>();
  private readonly sockets: ListenerManager;
  /** TLS contexts per certificate version, reused while a snapshot leaves a certificate alone. */
  private readonly contexts = new SecureContextCache();
  private readonly health: ActiveHealthChecker;
  private readonly outliers: OutlierDetector;
  private readonly now: () => number;
  private readonly random: () => number;
  private lastFlush = Date.now();
  private applying: Promise<unknown> = Promise.resolve();
  private runHealthChecks: boolean;
  readonly recentEvents: TDataplaneEvent[] = [];
  /** Access-log lines and the live tail's records. */
  readonly access: AccessLog;
  /** Pending ACME HTTP-01 challenges (from the control plane), answered by every http listener. */
  readonly acme = new AcmeChallengeAnswers();

  constructor(opts: DataplaneOptions = {}) {
    super();
    this.id = opts.id ?? `dp-${process.pid}`;
    // Inside a socket read, the read's own clock reading (see EventClock).
    this.now = opts.now ?? (() => eventClock.now());
    this.random = opts.random ?? Math.random;
    this.runHealthChecks = opts.runHealthChecks ?? true;
    this.access = new AccessLog(opts.accessLog, this.random);
    const emit = (e: TDataplaneEvent) => {
      this.recentEvents.push(e);
      if (this.recentEvents.length > 200) this.recentEvents.shift();
      this.emit('event', e);
    };
    this.health = new ActiveHealthChecker(this.now, emit);
    this.outliers = new OutlierDetector(this.now, emit);
    this.sockets = new ListenerManager(
      {
        http: (listenerId) => (req, res) => {
          const listener = this.runtime?.listeners.get(listenerId);
          if (!listener) return sendErrorPage(res, 503, 'listener is being reconfigured', 'none');
          listener.serve(req, res);
        },
        idleMs: (listenerId) => this.runtime?.listeners.get(listenerId)?.config.idleMs ?? 60_000,
        settings: (listenerId) => this.runtime?.listeners.get(listenerId)?.config.http ?? LISTENER_HTTP_DEFAULTS,
        stats: (listenerId) => this.runtime?.listeners.get(listenerId)?.stats,
        refused: (listenerId, refusal) => {
          // A listener's own refusal is logged with the pool its routes send to first.
          const listener = this.runtime?.listeners.get(listenerId);
          const poolId = listener?.poolIds()[0];
          const pool = poolId === undefined ? undefined : this.runtime?.pools.get(poolId)?.config;
          if (pool && this.access.wants(pool)) this.access.record(pool, refusalRecord(pool, refusal));
        },
        upgrade: (listenerId) => (req, socket, head, checked) => {
          const listener = this.runtime?.listeners.get(listenerId);
          if (!listener) return socket.destroy();
          proxyUpgrade((request, res, upgrade) => listener.serve(request, res, upgrade), req, socket, head, checked);
        },
        certificates: (listenerId) => this.runtime?.listeners.get(listenerId)?.certificates,
        http2: (listenerId) => this.runtime?.listeners.get(listenerId)?.config.tls?.http2 === true,
        tcp: (listenerId) => (socket) => {
          const pool = this.runtime?.listeners.get(listenerId)?.tcpPool();
          if (!pool) return socket.destroy();
          proxyTcpConnection(pool, socket, this.outliers);
        },
      },
      { total: opts.maxConnections, perListener: opts.maxListenerConnections },
    );
  }

  /** Client connections now and the caps, for /stats. */
  connections() {
    return this.sockets.limits.view();
  }

  /** Pools of the running version that did not take it (their port is held, say). */
  get refusedPools(): TRefusedPool[] {
    return this.runtime?.refused ?? [];
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
    const parsed = readSnapshot(raw);
    if (!parsed.ok) {
      const { error } = parsed;
      this.refused(error, raw);
      return { ok: false, error, keptVersion };
    }
    const { snapshot } = parsed;
    // The same snapshot again is skipped, unless some of its pools were refused: those get another try.
    if (this.runtime && snapshot.hash === this.runtime.receivedHash && this.runtime.refused.length === 0) {
      this.runtime = { ...this.runtime, snapshot: { ...this.runtime.snapshot, version: snapshot.version } };
      return { ok: true, version: snapshot.version, skipped: true, refused: [] };
    }
    try {
      return await this.applyValid(snapshot);
    } catch (err) {
      // A bug, not a bad config: nothing of this snapshot stays, the running config keeps serving.
      internalErrors.record('apply', err);
      this.sockets.commit(this.owners(this.runtime));
      const error = `applying failed: ${err instanceof Error ? err.message : String(err)}`;
      this.refused(error, raw);
      return { ok: false, error, keptVersion };
    }
  }

  /**
   * Applies per listener, as Envoy does: every pool whose runtime builds and every listener whose
   * routes compile and whose socket is ready switch to the new config; a refused one keeps its
   * previous config while its old socket is still open, or is down, and is named in the result
   * (under the pools its routes send to, which is what the link reports).
   */
  private async applyValid(snapshot: TConfigSnapshot): Promise<ApplyResult> {
    const previous = this.runtime;
    const first = previous === undefined;
    const refused: TRefusedPool[] = [];
    const pools = new Map<string, PoolRuntime>();
    for (const p of snapshot.pools) {
      try {
        pools.set(p.id, this.buildPool(p, first, snapshot.secrets));
      } catch (err) {
        const old = previous?.pools.get(p.id);
        if (old) pools.set(p.id, old);
        refused.push({ poolId: p.id, pool: p.name, error: `pool ${p.name}: ${err instanceof Error ? err.message : String(err)}`.slice(0, 2000), keptPrevious: old !== undefined });
      }
    }
    const limiters = new Map<string, { spec: string; limiter: RateLimiter }>();
    const limiter = (r: TSnapshotRoute) => {
      if (!r.rateLimit) return undefined;
      const spec = JSON.stringify(r.rateLimit);
      const kept = this.limiters.get(r.id);
      const entry = kept?.spec === spec ? kept : { spec, limiter: new RateLimiter(r.rateLimit, () => Date.now()) };
      limiters.set(r.id, entry);
      return entry.limiter;
    };
    const failed = new Map<string, string>();
    const built = new Map<string, ListenerRuntime>();
    for (const l of snapshot.listeners) {
      try {
        let answers = this.listenerStats.get(l.id);
        if (!answers) this.listenerStats.set(l.id, (answers = new ListenerStats(l.id)));
        built.set(
          l.id,
          new ListenerRuntime(l, {
            pools,
            limiter,
            outliers: this.outliers,
            answers,
            access: this.access,
            certificates: (c) => (c.tls ? new ListenerCertificates(c.tls, snapshot, this.contexts) : undefined),
            acme: this.acme,
          }),
        );
      } catch (err) {
        failed.set(l.id, `listener ${l.name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    const plan = await this.sockets.prepare(snapshot.listeners.filter((l) => built.has(l.id)));
    for (const [id, error] of plan.failed) failed.set(id, error);

    const listeners = new Map<string, ListenerRuntime>();
    const ports = new Set<number>();
    for (const l of snapshot.listeners) {
      if (failed.has(l.id)) continue;
      listeners.set(l.id, built.get(l.id)!);
      ports.add(l.port);
    }
    for (const l of snapshot.listeners) {
      const error = failed.get(l.id);
      if (error === undefined) continue;
      const old = previous?.listeners.get(l.id);
      const keep = old !== undefined && !ports.has(old.config.port) && this.sockets.serves(old.config);
      if (keep) {
        listeners.set(l.id, old);
        ports.add(old.config.port);
      }
      const under = built.get(l.id)?.poolIds() ?? l.routes.flatMap((r) => (r.action.type === 'pool' ? [r.action.poolId] : []));
      const names = under.length ? under.map((id) => ({ id, name: snapshot.pools.find((p) => p.id === id)?.name ?? id })) : [{ id: l.id, name: `listener ${l.name}` }];
      for (const n of names) if (!refused.some((r) => r.poolId === n.id)) refused.push({ poolId: n.id, pool: n.name, error: error.slice(0, 2000), keptPrevious: keep });
    }
    this.limiters = limiters;
    this.contexts.settle();
    const orderedPools = snapshot.pools.filter((p) => pools.has(p.id)).map((p) => pools.get(p.id)!);
    const orderedListeners = snapshot.listeners.filter((l) => listeners.has(l.id)).map((l) => listeners.get(l.id)!);
    const next: Runtime = {
      snapshot: { ...snapshot, hash: refused.length ? `${snapshot.hash}~partial` : snapshot.hash, pools: orderedPools.map((p) => p.config), listeners: orderedListeners.map((l) => l.config) },
      receivedHash: snapshot.hash,
      refused,
      pools: new Map(orderedPools.map((p) => [p.config.id, p])),
      listeners: new Map(orderedListeners.map((l) => [l.config.id, l])),
    };
    this.runtime = next;
    this.sockets.commit(this.owners(next));
    if (this.runHealthChecks) this.health.start(next.pools.values(), next.snapshot.secrets);
    if (previous) this.retireRemoved(previous, next);
    this.forgetStates(next);
    for (const r of refused) {
      if (previous?.refused.some((p) => p.poolId === r.poolId && p.error === r.error)) continue; // said already; a retry repeats it
      const message = `pool ${r.pool} did not take config ${snapshot.version} and ${r.keptPrevious ? 'keeps its previous config' : 'is down on this data plane'}: ${r.error}`;
      this.emit('event', { kind: 'snapshot_refused', severity: 'error', poolId: r.poolId, message: message.slice(0, 2000), data: { error: r.error, keptPrevious: r.keptPrevious }, ts: Date.now() });
    }
    this.emit('applied', next.snapshot);
    return { ok: true, version: snapshot.version, refused };
  }

  /** Which listener each listening port serves in a runtime. */
  private owners(runtime: Runtime | undefined): Map<number, string> {
    return new Map([...(runtime?.listeners.values() ?? [])].map((l) => [l.config.port, l.config.id]));
  }

  private refused(error: string, raw: unknown): void {
    const version = typeof raw === 'object' && raw !== null && 'version' in raw ? (raw as { version: unknown }).version : undefined;
    this.emit('event', { kind: 'snapshot_refused', severity: 'error', message: `snapshot ${String(version ?? '?')} refused: ${error}`, data: { error }, ts: Date.now() });
  }

  private buildPool(p: TConfigSnapshot['pools'][number], first: boolean, secrets: TConfigSnapshot['secrets']): PoolRuntime {
    // A check that cannot log in would mark every backend down: the pool keeps its previous config instead.
    for (const ref of healthCheckSecretRefs(p)) {
      if (!secrets || !Object.hasOwn(secrets, ref)) throw new Error(`its health check names the secret ${ref}, which the snapshot does not carry`);
    }
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
    return new PoolRuntime(p, backends, { now: this.now, random: this.random, stats, access: this.access });
  }

  /** Backends gone from the config (or only in a refused pool's new config) lose their state now. */
  private forgetStates(next: Runtime): void {
    const kept = new Set<string>();
    for (const pool of next.pools.values()) for (const b of pool.backends) kept.add(b.id);
    for (const id of this.states.keys()) if (!kept.has(id)) this.states.delete(id);
  }

  /** Backends gone from the config: their connections close after the drain timeout. */
  private retireRemoved(previous: Runtime, next: Runtime): void {
    const keptAddresses = new Set<string>();
    for (const pool of next.pools.values()) for (const b of pool.backends) keptAddresses.add(b.address);
    for (const id of previous.pools.keys()) if (!next.pools.has(id)) this.poolStats.delete(id);
    for (const id of previous.listeners.keys()) if (!next.listeners.has(id)) this.listenerStats.delete(id);
    for (const pool of previous.pools.values()) {
      for (const b of pool.backends) {
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
    const listeners = [...(this.runtime?.listeners.values() ?? [])].flatMap((l) => l.answers.flush() ?? []);
    this.lastFrame = { dataplaneId: this.id, ts, intervalMs, configVersion: this.version, pools, ...(listeners.length ? { listeners } : {}) };
    return this.lastFrame;
  }

  /** Running totals for /metrics and /stats: per pool what clients got, per backend the upstream attempts. */
  metricsView(): MetricsView {
    const pools = [...(this.runtime?.pools.values() ?? [])];
    return {
      pools: pools.map((p) => ({ pool: p.config.name, poolId: p.config.id, client: p.stats.totals, latency: p.stats.latencyTotals.toJSON() })),
      listeners: [...(this.runtime?.listeners.values() ?? [])].map((l) => ({ listener: l.config.name, ...l.answers.totals })),
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

  /** Starts or stops this process's own active health checks (a cluster hands the role over when its leader exits). */
  setHealthChecks(run: boolean): void {
    if (run === this.runHealthChecks) return;
    this.runHealthChecks = run;
    if (run && this.runtime) this.health.start(this.runtime.pools.values(), this.runtime.snapshot.secrets);
    else if (!run) this.health.stop();
  }

  /** A backend's health as another process checked it (unknown backends are ignored). */
  observeHealth(backendId: string, healthy: boolean): void {
    this.states.get(backendId)?.observeHealth(healthy, this.now());
  }

  /** A running listener by id or name, or else the first one whose routes send to the pool of that id or name. */
  listener(idOrName: string): ListenerRuntime | undefined {
    const all = [...(this.runtime?.listeners.values() ?? [])];
    const direct = this.runtime?.listeners.get(idOrName) ?? all.find((l) => l.config.name === idOrName);
    if (direct) return direct;
    const pool = this.pool(idOrName);
    return pool ? all.find((l) => l.poolIds().includes(pool.config.id)) : undefined;
  }

  /** The port a listener is bound to (by id or name, or by the pool it routes to). */
  boundPort(idOrName: string): number | undefined {
    const listener = this.listener(idOrName);
    return listener ? this.sockets.boundPort(listener.config) : undefined;
  }

  async stop(): Promise<void> {
    this.health.stop();
    await this.sockets.closeAll();
    for (const u of this.upstreams.values()) u.destroy();
    this.upstreams.clear();
    await this.access.writer?.close();
  }
}
