import { ListenerPage } from '../../../components/listener-page';
import { withServerData } from '../../../lib/server-page';

/** A listener's route table, rendered on the server for a signed-in session; an unknown listener answers a real 404. */
export default async function ListenerRoute({ params }: { params: Promise<{ name: string }> }) {
  const { name } = await params;
  return withServerData(<ListenerPage />, (trpc, qc) => ({
    prefetches: [qc.prefetchQuery(trpc.listeners.get.queryOptions({ id: name })), qc.prefetchQuery(trpc.pools.list.queryOptions())],
    mustExist: trpc.listeners.get.queryKey({ id: name }),
  }));
}
