'use client';

import { useQuery, useQueryClient } from '@tanstack/react-query';
import { usePathname, useRouter } from 'next/navigation';
import { type ReactNode, createContext, useContext, useEffect, useRef } from 'react';
import type { TRouterOutputs } from './router-outputs';
import { useTRPC } from './trpc';
import { Skeleton } from '../components/skeleton';

export type SessionUser = NonNullable<TRouterOutputs['auth']['status']['user']>;
const SessionContext = createContext<SessionUser | null>(null);

/** The signed-in user; operators and admins may change things, viewers only look. */
export function useSession() {
  const user = useContext(SessionContext);
  return { user, canWrite: user?.role === 'admin' || user?.role === 'operator', isAdmin: user?.role === 'admin' };
}

const OPEN_PAGES = ['/login', '/setup'];

/** Sends visitors to first-run setup or to login before any page that needs a user. */
export function SessionGate({ children }: { children: ReactNode }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const status = useQuery(trpc.auth.status.queryOptions());
  const pathname = usePathname();
  // A cold load of the overview: ask for its data in the same batch as the session instead of
  // after it (a signed-out visitor gets UNAUTHORIZED for these, which nothing shows).
  const prefetched = useRef(false);
  if (!prefetched.current && pathname === '/') {
    prefetched.current = true;
    void qc.prefetchQuery(trpc.pools.list.queryOptions());
    void qc.prefetchQuery(trpc.stats.problems.queryOptions());
    void qc.prefetchQuery(trpc.dataplanes.list.queryOptions());
  }
  const router = useRouter();
  const open = OPEN_PAGES.includes(pathname);

  useEffect(() => {
    if (!status.data) return;
    if (status.data.needsSetup && pathname !== '/setup') router.replace('/setup');
    else if (!status.data.needsSetup && !status.data.user && !open) router.replace('/login');
  }, [status.data, pathname, open, router]);

  if (status.isLoading)
    return (
      <div className="pad">
        <Skeleton label="Loading" lines={4} />
      </div>
    );
  if (status.error) return <p className="error pad">Cannot reach the control plane: {status.error.message}</p>;
  if (!open && !status.data?.user) return <p className="muted pad">Redirecting…</p>;
  return <SessionContext.Provider value={status.data?.user ?? null}>{children}</SessionContext.Provider>;
}
