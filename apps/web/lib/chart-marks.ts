'use client';

import { useQuery } from '@tanstack/react-query';
import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '@fulcrum/api';
import { useTRPC } from './trpc';

export type TChartMark = inferRouterOutputs<AppRouter>['stats']['marks'][number];

/** Colour of a mark by meaning: config changes in the accent colour, a backend going down red, coming back green. */
export function markColor(m: TChartMark): string {
  if (m.kind === 'revision') return '#4aa3ff';
  return m.state === 'healthy' ? '#3fb950' : '#f85149';
}

/** A pool's revisions and health flips over a chart range, re-read every 5 s. */
export function useChartMarks(poolId: string, range: '5m' | '1h' | '24h') {
  const trpc = useTRPC();
  return useQuery({ ...trpc.stats.marks.queryOptions({ poolId, range }), refetchInterval: range === '5m' ? 5000 : 60_000 });
}

export type THealthTimeline = inferRouterOutputs<AppRouter>['stats']['healthTimeline'];

/** Each backend's health second by second over the live five minutes, re-read every 2 s. */
export function useHealthTimeline(poolId: string) {
  const trpc = useTRPC();
  return useQuery({ ...trpc.stats.healthTimeline.queryOptions({ poolId }), refetchInterval: 2000 });
}
