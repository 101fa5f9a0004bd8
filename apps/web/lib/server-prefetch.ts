import type { AppRouter } from '@fulcrum/api';
import { SESSION_COOKIE } from '@fulcrum/protocol';
import { type DehydratedState, QueryClient, dehydrate } from '@tanstack/react-query';
import { type TRPCOptionsProxy, createTRPCOptionsProxy } from '@trpc/tanstack-react-query';
import { cookies, headers } from 'next/headers';
import { cache } from 'react';
import { getServerApi } from './server-api';

export interface RequestApi {
  trpc: TRPCOptionsProxy<AppRouter>;
  queryClient: QueryClient;
  /** Whether the session is a signed-in user's (asks auth.status once per request). */
  signedIn(): Promise<boolean>;
  /** The answers fetched so far, for the browser's query cache; only successful ones. */
  dehydrate(): DehydratedState;
}

/**
 * One per request (React's cache): the query cache a server render fills, and tRPC options that
 * call the procedures directly with this request's session. Null when there is nothing to ask:
 * no server API (`next build`) or no session cookie (an anonymous visitor gets the page as
 * before, without data).
 */
export const requestApi = cache(async (): Promise<RequestApi | null> => {
  // Read the request first: it makes every page that asks dynamic, also during `next build`.
  const [h, jar] = await Promise.all([headers(), cookies()]);
  const api = getServerApi();
  if (!api || !jar.has(SESSION_COOKIE)) return null;
  const requestHeaders = new Headers(h);
  // Made on first use, inside a call that awaits it (a rejected context is that call's error).
  let ctx: ReturnType<typeof api.context> | undefined;
  const queryClient = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const trpc = createTRPCOptionsProxy<AppRouter>({ router: api.router, ctx: () => (ctx ??= api.context(requestHeaders)), queryClient });
  return {
    trpc,
    queryClient,
    async signedIn() {
      await queryClient.prefetchQuery(trpc.auth.status.queryOptions());
      return !!queryClient.getQueryData(trpc.auth.status.queryKey())?.user;
    },
    dehydrate: () => dehydrate(queryClient),
  };
});
