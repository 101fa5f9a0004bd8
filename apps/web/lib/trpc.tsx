'use client';

import type { AppRouter } from '@fulcrum/api';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { TRPCClientError, createTRPCClient, httpBatchLink, httpLink, httpSubscriptionLink, splitLink } from '@trpc/client';
import { createTRPCContext } from '@trpc/tanstack-react-query';
import { type ReactNode, useState } from 'react';
import { humanFieldErrors } from './human-errors';

export const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();

export function Providers({ children }: { children: ReactNode }) {
  const [queryClient] = useState(() => new QueryClient({ defaultOptions: { queries: { staleTime: 2000, retry: (n, err) => n < 2 && !isAuthError(err) && !isFinalAnswer(err) } } }));
  const [client] = useState(() =>
    createTRPCClient<AppRouter>({
      links: [
        // Subscriptions (live data pushed by the server) ride server-sent events; sign-in and
        // first-run setup go alone (the server refuses them in a batch); everything else is batched.
        splitLink({
          condition: (op) => op.type === 'subscription',
          true: httpSubscriptionLink({ url: '/api/trpc' }),
          false: splitLink({
            condition: (op) => op.path === 'auth.login' || op.path === 'auth.setup',
            true: httpLink({ url: '/api/trpc' }),
            false: httpBatchLink({ url: '/api/trpc' }),
          }),
        }),
      ],
    }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={client} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}

export function isAuthError(err: unknown): boolean {
  return err instanceof TRPCClientError && ['UNAUTHORIZED', 'FORBIDDEN'].includes(err.data?.code);
}

/** An answer a retry cannot change (no such thing, bad input): shown at once instead of after the retries' back-off. */
export function isFinalAnswer(err: unknown): boolean {
  return err instanceof TRPCClientError && ['NOT_FOUND', 'BAD_REQUEST'].includes(err.data?.code);
}

/** Field errors the server sent (keys like `healthCheck.path`), for inline display. */
export function fieldErrorsOf(err: unknown): Record<string, string[]> {
  if (err instanceof TRPCClientError) return (err.data?.fieldErrors as Record<string, string[]> | null) ?? {};
  return {};
}

/** A stale write: the thing changed since this page loaded it (expectedVersion is behind). */
export function isStaleWrite(err: unknown): boolean {
  return err instanceof TRPCClientError && err.data?.code === 'CONFLICT' && /changed by someone else/.test(err.message);
}

/** A message for a toast; conflicts tell the operator what to do. */
export function describeError(err: unknown): string {
  if (err instanceof TRPCClientError) {
    if (isStaleWrite(err)) return 'Someone else changed this — reload.';
    // A refused input reads as sentences about the fields, not as the API's `patch.weight: …` lines.
    const fields = fieldErrorsOf(err);
    if (Object.keys(fields).length > 0) return humanFieldErrors(fields);
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}
