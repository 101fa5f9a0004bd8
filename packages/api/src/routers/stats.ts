import { zApiInput } from '@fulcrum/protocol';
import { z } from 'zod';
import { getHub } from '../hub/dataplane-hub';
import { listAppliedRevisions } from '../services/dataplanes/applied-revisions';
import { listChartMarks } from '../services/overview/chart-marks';
import { healthTimeline } from '../services/overview/health-timeline';
import { listProblems } from '../services/overview/problems';
import { liveFrame, recentLiveFrame } from '../services/stats/live-second';
import { getStatsHistory } from '../services/stats/stats-history';
import { completeSeconds, newestCompleteSecond, systemClock } from '../stats/complete-seconds';
import { router, viewerProcedure } from '../trpc';

// Frames for a second arrive up to a few hundred ms after it ends; yield once they are in.
const SETTLE_MS = 300;

export const statsRouter = router({
  /**
   * Once a second, the last complete second of traffic merged across data planes: per pool what
   * clients got, and per backend the upstream attempts. A tRPC subscription (async generator), served over SSE to the dashboard.
   */
  live: viewerProcedure.input(zApiInput(z.object({ poolId: z.string().min(1).optional() }).optional())).subscription(async function* ({ input, signal }) {
    // The newest complete second at once: a dashboard that just opened shows numbers without waiting for the next.
    for await (const ts of completeSeconds(getHub()?.clock ?? systemClock, SETTLE_MS, signal, { fromNewest: true })) yield liveFrame(getHub(), ts, input?.poolId);
  }),
  /**
   * The frame `live` would send first (the newest complete second), once, with each pool missing
   * from it at its last second of the three before: what a page rendered on the server shows
   * before its subscription starts. `sincePushMs` is how long ago the stream would have pushed
   * the newest second (on the control plane's clock), so the browser ages each pool's second as
   * that push (an older second by as much more).
   */
  liveNow: viewerProcedure.query(() => {
    const hub = getHub();
    const clock = hub?.clock ?? systemClock;
    const ts = newestCompleteSecond(clock, SETTLE_MS);
    return { ...recentLiveFrame(hub, ts, 3), sincePushMs: Math.max(0, clock.now() - (ts + 1000 + SETTLE_MS)) };
  }),
  /** Once a second, each listener's own answers (no route, redirects, fixed responses, 429, 503) in the last complete second, merged across data planes. */
  listenersLive: viewerProcedure.subscription(async function* ({ signal }) {
    for await (const ts of completeSeconds(getHub()?.clock ?? systemClock, SETTLE_MS, signal, { fromNewest: true })) yield { ts, listeners: getHub()?.stats.listenersAt(ts) ?? {} };
  }),
  /** A pool's history: 5m from memory at 1 s, 1h at 10 s and 24h at 1 min from the rollups. */
  history: viewerProcedure
    .input(zApiInput(z.object({ poolId: z.string().min(1), range: z.enum(['5m', '1h', '24h']) })))
    .query(({ ctx, input }) => getStatsHistory(ctx.prisma, getHub()?.stats, input.poolId, input.range)),
  /** What needs the operator now: backends down, pools with client errors, refused revisions, data planes gone. */
  problems: viewerProcedure.query(({ ctx }) => {
    const hub = getHub();
    return listProblems(ctx.prisma, hub?.stats, Date.now(), hub?.notificationsDownSince() ?? null);
  }),
  /** Each backend's health second by second over the live five minutes. */
  healthTimeline: viewerProcedure.input(zApiInput(z.object({ poolId: z.string().min(1) }))).query(({ ctx, input }) => healthTimeline(ctx.prisma, getHub()?.stats, input.poolId)),
  /** Revisions and health flips of a pool over a range, for marks on its charts. */
  marks: viewerProcedure
    .input(zApiInput(z.object({ poolId: z.string().min(1), range: z.enum(['5m', '1h', '24h']) })))
    .query(({ ctx, input }) => listChartMarks(ctx.prisma, input.poolId, { '5m': 300, '1h': 3600, '24h': 86_400 }[input.range])),
  /** Which connected data planes applied each of the newest revisions ("fully applied" when all did). */
  applied: viewerProcedure
    .input(zApiInput(z.object({ limit: z.number().int().min(1).max(200).default(20) }).optional()))
    .query(({ ctx, input }) => listAppliedRevisions(ctx.prisma, input?.limit ?? 20)),
});
