import type { AppRouter } from '@fulcrum/api';
import { HydrationBoundary, type QueryClient, type QueryKey } from '@tanstack/react-query';
import type { TRPCOptionsProxy } from '@trpc/tanstack-react-query';
import { notFound } from 'next/navigation';
import type { ReactNode } from 'react';
import { requestApi } from './server-prefetch';

/**
 * A page rendered on the server for a signed-in session: its queries are asked all at once,
 * straight from the procedures with the request's session, and come in the HTML with the
 * browser's query cache filled. An anonymous request gets the page without data. When the thing
 * the page is about (`mustExist`) answers NOT_FOUND or BAD_REQUEST, the route is a real 404.
 */
export async function withServerData(page: ReactNode, ask: (trpc: TRPCOptionsProxy<AppRouter>, queryClient: QueryClient) => { prefetches: Promise<void>[]; mustExist?: QueryKey }): Promise<ReactNode> {
  const api = await requestApi();
  if (!api) return page;
  const { prefetches, mustExist } = ask(api.trpc, api.queryClient);
  const [signedIn] = await Promise.all([api.signedIn(), ...prefetches]);
  if (!signedIn) return page;
  if (mustExist) {
    // The procedure's own TRPCError, from the server's copy of tRPC (not this bundle's): read its code.
    const code = (api.queryClient.getQueryState(mustExist)?.error as { code?: string } | null)?.code;
    if (code === 'NOT_FOUND' || code === 'BAD_REQUEST') notFound();
  }
  return <HydrationBoundary state={api.dehydrate()}>{page}</HydrationBoundary>;
}
