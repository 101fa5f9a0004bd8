import { HydrationBoundary } from '@tanstack/react-query';
import { notFound } from 'next/navigation';
import { PoolPage } from '../../../components/pool-page';
import { requestApi } from '../../../lib/server-prefetch';

/**
 * A pool's page renders on the server for a signed-in session: the pool comes in the HTML (the
 * browser's query cache filled), and an id that names no pool answers a real 404 status with the
 * not-found page, not a 200 that says "not found". The sections' live data starts in the browser.
 */
export default async function PoolRoute({ params }: { params: Promise<{ id: string }> }) {
  const [{ id }, api] = await Promise.all([params, requestApi()]);
  if (!api) return <PoolPage />;
  const { trpc, queryClient } = api;
  const [signedIn] = await Promise.all([api.signedIn(), queryClient.prefetchQuery(trpc.pools.get.queryOptions({ id }))]);
  if (!signedIn) return <PoolPage />;
  // The procedure's own TRPCError, from the server's copy of tRPC (not this bundle's): read its code.
  const code = (queryClient.getQueryState(trpc.pools.get.queryKey({ id }))?.error as { code?: string } | null)?.code;
  if (code === 'NOT_FOUND' || code === 'BAD_REQUEST') notFound();
  return (
    <HydrationBoundary state={api.dehydrate()}>
      <PoolPage />
    </HydrationBoundary>
  );
}
