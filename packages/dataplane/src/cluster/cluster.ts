import cluster from 'node:cluster';
import type { TConfigSnapshot, TDataplaneEvent, TStatsFrame } from '@fulcrum/protocol';
import { ZConfigSnapshot } from '@fulcrum/protocol';
import { startAdminServer } from '../admin/admin-server';
import { Dataplane } from '../dataplane';
import { FrameMerger } from '../stats/frame-merger';

type ToWorker = { type: 'snapshot'; snapshot: unknown };
type FromWorker = { type: 'ready' } | { type: 'frame'; frame: TStatsFrame } | { type: 'event'; event: TDataplaneEvent } | { type: 'applied'; ok: boolean; error?: string };

export interface ClusterOptions {
  workers: number;
  snapshot: unknown;
  admin?: { host: string; port: number };
}

/**
 * Several processes serve the same listeners; the kernel spreads connections between them
 * (SCHED_NONE: no hop through the primary). The primary relays snapshots to every worker and
 * merges their stats frames and events into one view for the admin endpoint.
 */
export async function runCluster(opts: ClusterOptions): Promise<void> {
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  if (cluster.isWorker) return runWorker();
  const parsed = ZConfigSnapshot.safeParse(opts.snapshot);
  if (!parsed.success) throw new Error(`config refused: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const snapshot: TConfigSnapshot = parsed.data;
  const merger = new FrameMerger();
  const events: TDataplaneEvent[] = [];
  let lastFrame: TStatsFrame | undefined;
  const id = `dp-${process.pid}`;

  const fork = () => {
    const w = cluster.fork();
    w.on('message', (m: FromWorker) => {
      // Snapshots go out once the worker listens for them (an earlier message would be lost).
      if (m.type === 'ready') w.send({ type: 'snapshot', snapshot } satisfies ToWorker);
      else if (m.type === 'frame') merger.add(String(w.id), m.frame);
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
    console.error(`worker ${w.id} exited (${code}); starting another`);
    fork();
  });
  setInterval(() => (lastFrame = merger.flush(id, snapshot.version)), 1000).unref();
  const admin = opts.admin
    ? await startAdminServer(
        { id, configVersion: () => snapshot.version, lastFrame: () => lastFrame, metrics: () => merger.view(snapshot, lastFrame), events: () => events },
        opts.admin.host,
        opts.admin.port,
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
}

function runWorker(): void {
  const dp = new Dataplane({ id: `dp-${process.pid}` });
  const send = (m: FromWorker) => process.send?.(m);
  dp.on('event', (event) => send({ type: 'event', event }));
  process.on('message', (m: ToWorker) => {
    if (m.type === 'snapshot') void dp.applySnapshot(m.snapshot).then((r) => send(r.ok ? { type: 'applied', ok: true } : { type: 'applied', ok: false, error: r.error }));
  });
  send({ type: 'ready' });
  setInterval(() => send({ type: 'frame', frame: dp.collectFrame() }), 1000).unref();
  process.once('SIGTERM', () => void dp.stop().then(() => process.exit(0)));
}
