import { HydrationBoundary } from '@tanstack/react-query';
import { Overview } from '../components/overview';
import { OVERVIEW_EVENTS } from '../lib/overview-limits';
import { requestApi } from '../lib/server-prefetch';

/**
 * The overview renders on the server for a signed-in session: pools, the newest complete second
 * of live numbers (stats.liveNow, the frame the live stream sends first), problems, data planes
 * and the latest events are asked for all at once, straight from the procedures, and come in the
 * HTML with the browser's query cache filled; the live stream takes over once the page runs.
 */
export default async function OverviewPage() {
  const api = await requestApi();
  if (!api) return <Overview />;
  const { trpc, queryClient } = api;
  const [signedIn] = await Promise.all([
    api.signedIn(),
    queryClient.prefetchQuery(trpc.pools.list.queryOptions()),
    queryClient.prefetchQuery(trpc.stats.liveNow.queryOptions()),
    queryClient.prefetchQuery(trpc.stats.problems.queryOptions()),
    queryClient.prefetchQuery(trpc.dataplanes.list.queryOptions()),
    queryClient.prefetchQuery(trpc.events.list.queryOptions({ limit: OVERVIEW_EVENTS })),
  ]);
  if (!signedIn) return <Overview />;
  return (
    <HydrationBoundary state={api.dehydrate()}>
      <Overview />
    </HydrationBoundary>
  );
}
