import process from 'node:process';
import cluster, { type Worker } from 'node:cluster';
import { EventEmitter } from 'node:events';
import type { TAccessRecord, TAcmeChallengeSet, TConfigSnapshot, TDataplaneEvent, TRefusedPool, TStatsFrame } from '@fulcrum/protocol';
import { LiveTail } from '../access-log/live-tail';
import { AcmeChallengeAnswers } from '../acme/acme-challenge-answers';
import { readSnapshot } from '@fulcrum/protocol';
import type { AccessLogWriter } from '../access-log/access-log-writer';
import { type AdminSource, startAdminServer } from '../admin/admin-server';
import { reloadOnSighup } from '../config-file/config-file-reload';
import type { ApplyResult } from '../dataplane';
import { Dataplane } from '../dataplane';
import type { FdLimitReport } from '../runtime/fd-limit';
import { type InternalErrorKind, internalErrors } from '../runtime/internal-errors';
import { FrameMerger } from '../stats/frame-merger';

type Limits = { maxConnections?: number; maxListenerConnections?: number };
type ConnectionsView = ReturnType<Dataplane['connections']>;
type ToWorker =
  | { type: 'snapshot'; seq: number; snapshot: TConfigSnapshot; limits: Limits }
  | { type: 'lead'; run: boolean }
  | { type: 'health'; backendId: string; healthy: boolean }
  | { type: 'tail'; poolIds: string[] }
  | { type: 'acme'; set: TAcmeChallengeSet };
type FromWorker =
  | { type: 'ready' }
  | { type: 'frame'; frame: TStatsFrame; connections: ConnectionsView }
  | { type: 'event'; event: TDataplaneEvent }
  | { type: 'applied'; seq: number; result: ApplyResult }
  | { type: 'internal-error'; kind: InternalErrorKind }
  | { type: 'tail-lines'; lines: TAccessRecord[]; dropped: number }
  | { type: 'acme-applied'; seq: number };

export interface ClusterOptions {
  workers: number;
  /** Caps per worker (each worker is a process with its own descriptors). */
  limits?: Limits;
  fd?: FdLimitReport;
  id?: string;
  /** `--access-log`: each worker appends to the path (O_APPEND keeps lines whole); SIGUSR1 is passed on. */
  accessLog?: string;
  /** How long a snapshot may take to apply in every worker before the apply is answered without the late ones. */
  applyTimeoutMs?: number;
}

/** A snapshot sent to the workers, waiting for each one's answer. */
interface PendingApply {
  seq: number;
  snapshot: TConfigSnapshot;
  waiting: Set<number>;
  results: ApplyResult[];
  done: (r: ApplyResult) => void;
  timer: NodeJS.Timeout;
}

/**
 * Several processes serve the same listeners; the kernel spreads connections between them
 * (SCHED_NONE: no hop through the primary). The primary is the data plane the control plane
 * (or the config file) talks to: it validates each snapshot, applies it in every worker and
 * answers once all have (refused pools merged), and merges their stats frames and events.
 * Active health checks run once per data plane: in one worker, the health leader, whose results
 * the primary hands to the others; when the leader exits another worker takes the role.
 */
export class ClusterPrimary extends EventEmitter<{ event: [TDataplaneEvent] }> {
  readonly id: string;
  private current: TConfigSnapshot | undefined;
  private receivedHash: string | null = null;
  private seq = 0;
  private pending: PendingApply | undefined;
  private applying: Promise<unknown> = Promise.resolve();
  private readonly merger = new FrameMerger();
  private readonly connectionsByWorker = new Map<number, ConnectionsView>();
  /** Backend health as the leader last reported it, for workers that start later. */
  private readonly health = new Map<string, boolean>();
  private leader: number | undefined;
  /** Workers that listen for messages (one sent earlier would be lost). */
  private readonly ready = new Set<number>();
  private stopping = false;
  lastFrame: TStatsFrame | undefined;
  readonly recentEvents: TDataplaneEvent[] = [];
  /** The live tail of all workers together: what to watch goes out to each, their lines come back. */
  private readonly tail = new LiveTail();
  private tailPools: string[] = [];
  readonly access = {
    tail: {
      watch: (poolIds: readonly string[]) => {
        this.tailPools = [...poolIds];
        this.tail.watch(poolIds);
        for (const w of this.liveWorkers()) if (this.ready.has(w.id)) this.send(w, { type: 'tail', poolIds: this.tailPools });
      },
      take: () => this.tail.take(),
    },
  };
  /** The ACME challenge set, validated here once and handed to every worker (and to each that starts later). */
  private readonly acmeSet = new AcmeChallengeAnswers();
  /** Per worker, the newest challenge set it said it holds. */
  private readonly acmeApplied = new Map<number, number>();
  private acmeWaiters: (() => void)[] = [];
  readonly acme = {
    /** Resolves once every ready worker holds the set (or after 5 s): the control plane is acked only then. */
    replace: async (raw: unknown) => {
      const held = this.acmeSet.replace(raw);
      if (!held.ok) return held;
      const workers = this.liveWorkers().filter((w) => this.ready.has(w.id));
      for (const w of workers) this.send(w, { type: 'acme', set: this.acmeSet.current() });
      const all = () => workers.every((w) => !w.isConnected() || (this.acmeApplied.get(w.id) ?? -1) >= held.seq);
      await new Promise<void>((resolve) => {
        let settled = false;
        const settle = () => {
          settled = true;
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(settle, 5000);
        // Woken on each worker's word; waits again until all hold the set (or the timer settles it).
        const wake = () => {
          if (settled) return;
          if (all()) settle();
          else this.acmeWaiters.push(wake);
        };
        wake();
      });
      return held;
    },
  };

  constructor(private readonly opts: ClusterOptions) {
    super();
    this.id = opts.id ?? `dp-${process.pid}`;
  }

  get version(): number | null {
    return this.current?.version ?? null;
  }

  get hash(): string | null {
    return this.receivedHash;
  }

  get snapshot(): TConfigSnapshot | undefined {
    return this.current;
  }

  start(): void {
    cluster.schedulingPolicy = cluster.SCHED_NONE;
    for (let i = 0; i < this.opts.workers; i++) this.fork();
    // logrotate signals the primary; each worker reopens its own file.
    process.on('SIGUSR1', () => {
      for (const w of this.liveWorkers()) w.process.kill('SIGUSR1');
    });
    cluster.on('exit', (w, code) => {
      if (this.stopping) return;
      this.connectionsByWorker.delete(w.id);
      this.ready.delete(w.id);
      this.settle(w.id, undefined);
      console.error(`worker ${w.id} exited (${code}); starting another`);
      if (w.id === this.leader) this.electLeader();
      this.fork();
    });
  }

  /** Validates, then applies in every worker; the answer merges theirs (a pool any worker refused is refused). */
  applySnapshot(raw: unknown): Promise<ApplyResult> {
    const run = this.applying.then(() => this.applyNow(raw));
    this.applying = run.catch(() => undefined);
    return run;
  }

  private applyNow(raw: unknown): Promise<ApplyResult> {
    const parsed = readSnapshot(raw);
    if (!parsed.ok) {
      const { error } = parsed;
      return Promise.resolve({ ok: false, error, keptVersion: this.version });
    }
    const { snapshot } = parsed;
    const workers = this.liveWorkers();
    return new Promise<ApplyResult>((resolve) => {
      const seq = ++this.seq;
      const timer = setTimeout(() => this.finish(), this.opts.applyTimeoutMs ?? 60_000);
      this.pending = { seq, snapshot, waiting: new Set(workers.map((w) => w.id)), results: [], done: resolve, timer };
      // A worker still starting gets it when it says ready.
      for (const w of workers) if (this.ready.has(w.id)) this.send(w, { type: 'snapshot', seq, snapshot, limits: this.opts.limits ?? {} });
      if (workers.length === 0) this.finish();
    });
  }

  /** A worker's answer (or its exit: undefined) to the pending snapshot. */
  private settle(workerId: number, result: ApplyResult | undefined): void {
    const p = this.pending;
    if (!p?.waiting.delete(workerId)) return;
    if (result) p.results.push(result);
    if (p.waiting.size === 0) this.finish();
  }

  private finish(): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    clearTimeout(p.timer);
    const failed = p.results.find((r): r is Extract<ApplyResult, { ok: false }> => !r.ok);
    if (failed) return p.done({ ok: false, error: failed.error, keptVersion: this.version });
    const refused = new Map<string, TRefusedPool>();
    for (const r of p.results) if (r.ok) for (const pool of r.refused) refused.set(pool.poolId, pool);
    this.current = p.snapshot;
    this.receivedHash = p.snapshot.hash;
    p.done({ ok: true, version: p.snapshot.version, refused: [...refused.values()] });
  }

  collectFrame(): TStatsFrame {
    this.lastFrame = this.merger.flush(this.id, this.version);
    return this.lastFrame;
  }

  /** The admin endpoint's view of the whole data plane. */
  adminSource(fd: FdLimitReport | undefined): AdminSource {
    return {
      id: this.id,
      configVersion: () => this.version,
      lastFrame: () => this.lastFrame,
      metrics: () => this.merger.view(this.current, this.lastFrame),
      events: () => this.recentEvents,
      process: () => {
        const all = [...this.connectionsByWorker.values()];
        const sum = (f: (c: ConnectionsView) => number) => all.reduce((n, c) => n + f(c), 0);
        return {
          internalErrors: internalErrors.counts,
          connections: {
            maxConnections: sum((c) => c.maxConnections),
            open: sum((c) => c.open),
            refused: sum((c) => c.refused),
            tlsHandshakeFailures: sum((c) => c.tlsHandshakeFailures),
            h2AbusiveClosed: sum((c) => c.h2AbusiveClosed),
            workers: all,
          },
          fdLimit: fd?.nofile ?? null,
          fdLimitNote: fd?.note,
        };
      },
    };
  }

  stop(): void {
    this.stopping = true;
    for (const w of this.liveWorkers()) w.kill('SIGTERM');
  }

  private liveWorkers(): Worker[] {
    return Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
  }

  private send(w: Worker, m: ToWorker): void {
    if (!w.isDead()) w.send(m);
  }

  private electLeader(): void {
    const next = this.liveWorkers().find((w) => w.id !== this.leader);
    this.leader = next?.id;
    if (next) this.send(next, { type: 'lead', run: true });
  }

  private fork(): void {
    const w = cluster.fork(this.opts.accessLog ? { FULCRUM_ACCESS_LOG: this.opts.accessLog } : {});
    this.leader ??= w.id;
    w.on('message', (m: FromWorker) => this.onMessage(w, m));
  }

  private onMessage(w: Worker, m: FromWorker): void {
    switch (m.type) {
      case 'ready': {
        this.ready.add(w.id);
        if (w.id === this.leader) this.send(w, { type: 'lead', run: true });
        for (const [backendId, healthy] of this.health) this.send(w, { type: 'health', backendId, healthy });
        if (this.tailPools.length) this.send(w, { type: 'tail', poolIds: this.tailPools });
        if (this.acmeSet.size) this.send(w, { type: 'acme', set: this.acmeSet.current() });
        // The snapshot being applied if it waits for this worker, else what runs.
        const p = this.pending?.waiting.has(w.id) ? this.pending : undefined;
        const snapshot = p?.snapshot ?? this.current;
        if (snapshot) this.send(w, { type: 'snapshot', seq: p?.seq ?? 0, snapshot, limits: this.opts.limits ?? {} });
        return;
      }
      case 'frame':
        this.merger.add(String(w.id), m.frame);
        this.connectionsByWorker.set(w.id, m.connections);
        if (w.id === this.leader) this.takeLeaderHealth(m.frame);
        return;
      case 'internal-error':
        internalErrors.add(m.kind, 1);
        return;
      case 'tail-lines':
        this.tail.merge(m);
        return;
      case 'acme-applied': {
        this.acmeApplied.set(w.id, m.seq);
        const waiters = this.acmeWaiters;
        this.acmeWaiters = [];
        for (const wake of waiters) wake();
        return;
      }
      case 'applied':
        if (m.seq !== 0) this.settle(w.id, m.result);
        else if (!m.result.ok) console.error(`[worker ${w.id}] config refused: ${m.result.error}`);
        return;
      case 'event': {
        const e = m.event;
        // Health is the leader's to say; other events (the same refusal in every worker) once.
        if (e.kind === 'health_flip') {
          if (w.id !== this.leader) return;
          if (e.backendId) this.shareHealth(e.backendId, e.data?.state === 'healthy');
        } else if (this.recentEvents.some((r) => r.kind === e.kind && r.message === e.message && e.ts - r.ts < 5000)) return;
        this.recentEvents.push(e);
        if (this.recentEvents.length > 200) this.recentEvents.shift();
        console.log(`[worker ${w.id}] [${e.kind}] ${e.message}`);
        this.emit('event', e);
      }
    }
  }

  /** The leader's frame says every checked backend's health; the others get what changed. */
  private takeLeaderHealth(frame: TStatsFrame): void {
    for (const p of frame.pools) for (const b of p.backends) if (b.health !== 'unknown') this.shareHealth(b.backendId, b.health === 'healthy');
  }

  private shareHealth(backendId: string, healthy: boolean): void {
    if (this.health.get(backendId) === healthy) return;
    this.health.set(backendId, healthy);
    for (const w of this.liveWorkers()) if (w.id !== this.leader) this.send(w, { type: 'health', backendId, healthy });
  }
}

export interface RunClusterOptions extends ClusterOptions {
  snapshot: unknown;
  /** The file the snapshot came from: SIGHUP reads it again and applies it in every worker. */
  configFile?: string;
  admin?: { host: string; port: number; token?: string };
}

/** `--config` with `--workers N`: the cluster serves one file, reloaded on SIGHUP. */
export async function runCluster(opts: RunClusterOptions): Promise<void> {
  if (cluster.isWorker) throw new Error('runCluster runs in the primary');
  const primary = new ClusterPrimary(opts);
  primary.start();
  if (opts.configFile)
    reloadOnSighup(
      opts.configFile,
      primary,
      () => `${opts.workers} workers`,
      (line) => console.log(line),
    );
  const first = await primary.applySnapshot(opts.snapshot);
  if (!first.ok) throw new Error(`config refused: ${first.error}`);
  setInterval(() => primary.collectFrame(), 1000).unref();
  const admin = opts.admin ? await startAdminServer(primary.adminSource(opts.fd), opts.admin) : undefined;
  console.log(`serving config ${first.version} with ${opts.workers} workers`);
  const stop = () => {
    admin?.close();
    primary.stop();
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.on('SIGUSR1', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGUSR1');
  });
}

/** A worker: one Dataplane, driven by the primary; it runs health checks only while it leads. */
export function runWorker(accessLog: AccessLogWriter | undefined): void {
  const send = (m: FromWorker) => process.send?.(m);
  // Counted here (the log line says which worker) and in the primary, whose /metrics shows them.
  internalErrors.install((line) => {
    console.error(`[worker ${process.pid}] ${line}`);
  });
  internalErrors.forwardTo((kind) => send({ type: 'internal-error', kind }));
  // Reloads are the primary's: a hangup sent to the whole process group must not end a worker.
  process.on('SIGHUP', () => {});
  let dp: Dataplane | undefined;
  let lead = false;
  let tailPools: string[] = [];
  let acmeSet: TAcmeChallengeSet = { seq: 0, challenges: [] };
  /** The leader's word on every backend, applied again after each snapshot (new backends included). */
  const health = new Map<string, boolean>();
  process.on('message', (m: ToWorker) => {
    if (m.type === 'lead') {
      lead = m.run;
      dp?.setHealthChecks(m.run);
      return;
    }
    if (m.type === 'tail') {
      tailPools = m.poolIds;
      dp?.access.tail.watch(tailPools);
      return;
    }
    if (m.type === 'acme') {
      acmeSet = m.set;
      dp?.acme.set(acmeSet);
      send({ type: 'acme-applied', seq: acmeSet.seq });
      return;
    }
    if (m.type === 'health') {
      health.set(m.backendId, m.healthy);
      dp?.observeHealth(m.backendId, m.healthy);
      return;
    }
    if (!dp) {
      const created = new Dataplane({ id: `dp-${process.pid}`, runHealthChecks: lead, ...m.limits, accessLog });
      created.on('event', (event) => send({ type: 'event', event }));
      created.access.tail.watch(tailPools);
      created.acme.set(acmeSet);
      setInterval(() => send({ type: 'frame', frame: created.collectFrame(), connections: created.connections() }), 1000).unref();
      setInterval(() => {
        const batch = created.access.tail.take();
        if (batch) send({ type: 'tail-lines', ...batch });
      }, 250).unref();
      process.once('SIGTERM', () => void created.stop().then(() => process.exit(0)));
      dp = created;
    }
    const target = dp;
    void target.applySnapshot(m.snapshot).then((result) => {
      if (!lead) for (const [backendId, healthy] of health) target.observeHealth(backendId, healthy);
      send({ type: 'applied', seq: m.seq, result });
    });
  });
  send({ type: 'ready' });
}
