import { Overview } from '../components/overview';
import { OVERVIEW_EVENTS } from '../lib/overview-limits';
import { withServerData } from '../lib/server-page';

/**
 * The overview renders on the server for a signed-in session: pools, the newest complete second
 * of live numbers (stats.liveNow, the frame the live stream sends first), problems, data planes
 * and the latest events are asked for all at once, straight from the procedures, and come in the
 * HTML with the browser's query cache filled; the live stream takes over once the page runs.
 */
export default async function OverviewPage() {
  return withServerData(<Overview />, (trpc, qc) => ({
    prefetches: [
      qc.prefetchQuery(trpc.pools.list.queryOptions()),
      qc.prefetchQuery(trpc.stats.liveNow.queryOptions()),
      qc.prefetchQuery(trpc.stats.problems.queryOptions()),
      qc.prefetchQuery(trpc.dataplanes.list.queryOptions()),
      qc.prefetchQuery(trpc.events.list.queryOptions({ limit: OVERVIEW_EVENTS })),
    ],
  }));
}
