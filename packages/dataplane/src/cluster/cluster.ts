import cluster from 'node:cluster';
import type { TConfigSnapshot, TDataplaneEvent, TStatsFrame } from '@fulcrum/protocol';
import { ZConfigSnapshot } from '@fulcrum/protocol';
import type { AccessLogWriter } from '../access-log/access-log-writer';
import { startAdminServer } from '../admin/admin-server';
import { Dataplane } from '../dataplane';
import type { FdLimitReport } from '../runtime/fd-limit';
import { type InternalErrorKind, internalErrors } from '../runtime/internal-errors';
import { FrameMerger } from '../stats/frame-merger';

type Limits = { maxConnections?: number; maxListenerConnections?: number };
type ConnectionsView = ReturnType<Dataplane['connections']>;
type ToWorker = { type: 'snapshot'; snapshot: unknown; limits: Limits };
type FromWorker =
  | { type: 'ready' }
  | { type: 'frame'; frame: TStatsFrame; connections: ConnectionsView }
  | { type: 'event'; event: TDataplaneEvent }
  | { type: 'applied'; ok: boolean; error?: string }
  | { type: 'internal-error'; kind: InternalErrorKind };

export interface ClusterOptions {
  workers: number;
  snapshot: unknown;
  admin?: { host: string; port: number; token?: string };
  /** Caps per worker (each worker is a process with its own descriptors). */
  limits?: Limits;
  fd?: FdLimitReport;
  /** `--access-log`: each worker appends to the path (O_APPEND keeps lines whole); SIGUSR1 is passed on. */
  accessLog?: string;
  /** A worker's own writer (opened from FULCRUM_ACCESS_LOG, which the primary sets). */
  workerAccessLog?: AccessLogWriter;
}

/**
 * Several processes serve the same listeners; the kernel spreads connections between them
 * (SCHED_NONE: no hop through the primary). The primary relays snapshots to every worker and
 * merges their stats frames and events into one view for the admin endpoint.
 */
export async function runCluster(opts: ClusterOptions): Promise<void> {
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  if (cluster.isWorker) return runWorker(opts.workerAccessLog);
  const parsed = ZConfigSnapshot.safeParse(opts.snapshot);
  if (!parsed.success) throw new Error(`config refused: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const snapshot: TConfigSnapshot = parsed.data;
  const merger = new FrameMerger();
  const events: TDataplaneEvent[] = [];
  let lastFrame: TStatsFrame | undefined;
  const id = `dp-${process.pid}`;
  const connections = new Map<number, ConnectionsView>();

  const fork = () => {
    const w = cluster.fork(opts.accessLog ? { FULCRUM_ACCESS_LOG: opts.accessLog } : {});
    w.on('message', (m: FromWorker) => {
      // Snapshots go out once the worker listens for them (an earlier message would be lost).
      if (m.type === 'ready') w.send({ type: 'snapshot', snapshot, limits: opts.limits ?? {} } satisfies ToWorker);
      else if (m.type === 'frame') {
        merger.add(String(w.id), m.frame);
        connections.set(w.id, m.connections);
      } else if (m.type === 'internal-error') internalErrors.add(m.kind, 1);
      else if (m.type === 'event') {
        events.push(m.event);
        if (events.length > 200) events.shift();
        console.log(`[worker ${w.id}] [${m.event.kind}] ${m.event.message}`);
      } else if (m.type === 'applied' && !m.ok) console.error(`[worker ${w.id}] config refused: ${m.error}`);
    });
    return w;
  };
  for (let i = 0; i < opts.workers; i++) fork();
  let stopping = false;
  cluster.on('exit', (w, code) => {
    if (stopping) return;
    connections.delete(w.id);
    console.error(`worker ${w.id} exited (${code}); starting another`);
    fork();
  });
  setInterval(() => (lastFrame = merger.flush(id, snapshot.version)), 1000).unref();
  const admin = opts.admin
    ? await startAdminServer(
        {
          id,
          configVersion: () => snapshot.version,
          lastFrame: () => lastFrame,
          metrics: () => merger.view(snapshot, lastFrame),
          events: () => events,
          process: () => {
            const all = [...connections.values()];
            const sum = (f: (c: ConnectionsView) => number) => all.reduce((n, c) => n + f(c), 0);
            return {
              internalErrors: internalErrors.counts,
              connections: { maxConnections: sum((c) => c.maxConnections), open: sum((c) => c.open), refused: sum((c) => c.refused), workers: all },
              fdLimit: opts.fd?.nofile ?? null,
              fdLimitNote: opts.fd?.note,
            };
          },
        },
        opts.admin,
      )
    : undefined;
  console.log(`serving config ${snapshot.version} with ${opts.workers} workers`);
  const stop = () => {
    stopping = true;
    admin?.close();
    for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM');
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.on('SIGUSR1', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGUSR1');
  });
}

function runWorker(accessLog: AccessLogWriter | undefined): void {
  const send = (m: FromWorker) => process.send?.(m);
  // Counted here (the log line says which worker) and in the primary, whose /metrics shows them.
  internalErrors.install((line) => {
    console.error(`[worker ${process.pid}] ${line}`);
  });
  process.on('uncaughtException', () => send({ type: 'internal-error', kind: 'uncaught_exception' }));
  process.on('unhandledRejection', () => send({ type: 'internal-error', kind: 'unhandled_rejection' }));
  let dp: Dataplane | undefined;
  process.on('message', (m: ToWorker) => {
    if (m.type !== 'snapshot') return;
    if (!dp) {
      const created = new Dataplane({ id: `dp-${process.pid}`, ...m.limits, accessLog });
      created.on('event', (event) => send({ type: 'event', event }));
      setInterval(() => send({ type: 'frame', frame: created.collectFrame(), connections: created.connections() }), 1000).unref();
      process.once('SIGTERM', () => void created.stop().then(() => process.exit(0)));
      dp = created;
    }
    void dp.applySnapshot(m.snapshot).then((r) => send(r.ok ? { type: 'applied', ok: true } : { type: 'applied', ok: false, error: r.error }));
  });
  send({ type: 'ready' });
}
