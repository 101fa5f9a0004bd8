import { createHash } from 'node:crypto';
import type { TSnapshotBackend, TSnapshotPool } from '@fulcrum/protocol';
import type { UpstreamPool } from '../http/upstream/upstream-pool';
import { type Balancer, type BalancerBackend, type LoadView, type SelectionContext, createBalancer } from '../balancing';
import type { AccessLog } from '../access-log/access-log';
import { PoolStats } from '../stats/pool-stats';
import type { BackendState } from './backend-state';

// Enough that losing one backend under modest load does not turn into errors; the percentage rules under heavy load.
const MIN_RETRY_CONCURRENCY = 10;

export interface RuntimeBackend extends BalancerBackend {
  readonly config: TSnapshotBackend;
  readonly state: BackendState;
  /** host:port, as upstream requests and logs use it. */
  readonly address: string;
  /** What the sticky cookie carries: opaque, never the address. */
  readonly stickyKey: string;
  /** Keep-alive connections to its address, shared by every pool that lists the address. */
  readonly upstream: UpstreamPool;
}

export interface PoolRuntimeDeps {
  now: () => number;
  random: () => number;
  /** The pool's client-side counters, carried from one runtime to the next. */
  stats?: PoolStats;
  /** The data plane's access log and live tail. */
  access?: AccessLog;
}

export function stickyKeyOf(backendId: string): string {
  return createHash('sha256').update(backendId).digest('base64url').slice(0, 16);
}

/**
 * One pool as a running config: its backends split into primaries and backups, one balancer
 * for each, and the rules for who may take a request. Immutable; a new snapshot builds a new one.
 */
export class PoolRuntime {
  readonly primaries: RuntimeBackend[];
  readonly backups: RuntimeBackend[];
  private readonly primaryBalancer: Balancer;
  private readonly backupBalancer: Balancer;
  private readonly byStickyKey = new Map<string, RuntimeBackend>();
  /** Requests in flight and retries among them, for the retry budget. */
  inflight = 0;
  retriesInflight = 0;
  readonly stats: PoolStats;
  readonly access: AccessLog | undefined;

  constructor(
    readonly config: TSnapshotPool,
    readonly backends: RuntimeBackend[],
    private readonly deps: PoolRuntimeDeps,
  ) {
    this.stats = deps.stats ?? new PoolStats();
    this.access = deps.access;
    const index = (list: RuntimeBackend[]) => list.map((b, i) => Object.assign(Object.create(b) as RuntimeBackend, { index: i }));
    this.primaries = index(backends.filter((b) => !b.config.backup));
    this.backups = index(backends.filter((b) => b.config.backup));
    const load: LoadView = {
      active: (b) => (b as RuntimeBackend).state.active,
      latencyEwma: (b) => (b as RuntimeBackend).state.ewmaMs,
      effectiveWeight: (b) => (b as RuntimeBackend).state.effectiveWeight(b.weight, config.slowStartMs, deps.now()),
    };
    const balancerDeps = { random: deps.random, now: deps.now, load, hashKey: config.hashKey };
    this.primaryBalancer = createBalancer(config.algorithm, this.primaries, balancerDeps);
    this.backupBalancer = createBalancer(config.algorithm, this.backups, balancerDeps);
    for (const b of backends) this.byStickyKey.set(b.stickyKey, b);
  }

  /** Enabled (admin state active), observed healthy and not ejected. */
  isAvailable(b: RuntimeBackend, now = this.deps.now()): boolean {
    return b.config.adminState === 'active' && b.state.healthy && !b.state.isEjected(now);
  }

  hasRoom(b: RuntimeBackend): boolean {
    return b.config.maxConnections === 0 || b.state.active < b.config.maxConnections;
  }

  /**
   * The backend for a request: a primary if any can take it, otherwise a backup. `tried` holds
   * the backends this request already failed on, so a retry goes elsewhere.
   */
  select(ctx: SelectionContext, tried: ReadonlySet<string>): RuntimeBackend | undefined {
    const now = this.deps.now();
    const accept = (b: BalancerBackend) => {
      const rb = b as RuntimeBackend;
      return !tried.has(rb.id) && this.isAvailable(rb, now) && this.hasRoom(rb);
    };
    return (this.primaryBalancer.select(ctx, accept) ?? this.backupBalancer.select(ctx, accept)) as RuntimeBackend | undefined;
  }

  /** The backend a sticky cookie or header names, when it can still take the request. */
  stickyTarget(key: string | undefined, tried: ReadonlySet<string>): RuntimeBackend | undefined {
    if (!key) return undefined;
    const b = this.byStickyKey.get(key);
    return b && !tried.has(b.id) && this.isAvailable(b) && this.hasRoom(b) ? b : undefined;
  }

  /** Whether every backend that could serve is merely full (503) rather than down. */
  allFull(): boolean {
    const up = this.backends.filter((b) => this.isAvailable(b));
    return up.length > 0 && up.every((b) => !this.hasRoom(b));
  }

  /** Retries in flight stay within budgetPercent of the requests in flight, and at least MIN_RETRY_CONCURRENCY. */
  retryAllowed(): boolean {
    const budget = Math.max(MIN_RETRY_CONCURRENCY, Math.floor((this.inflight * this.config.retries.budgetPercent) / 100));
    return this.retriesInflight < budget;
  }
}
