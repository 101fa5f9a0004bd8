import { PoolPage } from '../../../components/pool-page';
import { withServerData } from '../../../lib/server-page';

/**
 * A pool's page renders on the server for a signed-in session: the pool comes in the HTML, and an
 * id that names no pool answers a real 404 status with the not-found page, not a 200 that says
 * "not found". The sections' live data starts in the browser.
 */
export default async function PoolRoute({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return withServerData(<PoolPage />, (trpc, qc) => ({ prefetches: [qc.prefetchQuery(trpc.pools.get.queryOptions({ id }))], mustExist: trpc.pools.get.queryKey({ id }) }));
}
