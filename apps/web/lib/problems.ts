'use client';

import { useQuery } from '@tanstack/react-query';
import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '@fulcrum/api';
import { useTRPC } from './trpc';

export type TProblem = inferRouterOutputs<AppRouter>['stats']['problems'][number];

/** What needs the operator now (shaped by the control plane), re-read every 2 s. */
export function useProblems() {
  const trpc = useTRPC();
  return useQuery({ ...trpc.stats.problems.queryOptions(), refetchInterval: 2000 });
}
