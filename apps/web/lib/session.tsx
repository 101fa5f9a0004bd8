'use client';

import { useQuery } from '@tanstack/react-query';
import { usePathname, useRouter } from 'next/navigation';
import { type ReactNode, createContext, useContext, useEffect } from 'react';
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
  // A signed-in session's answer comes with the HTML (app/layout.tsx), and the overview's data
  // with it (app/page.tsx): nothing here asks ahead, which would also keep those answers out of
  // the server render (a query already in the cache is hydrated only after it).
  const status = useQuery(trpc.auth.status.queryOptions());
  const pathname = usePathname();
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
