'use client';

import { useQuery } from '@tanstack/react-query';
import { useTRPC } from './trpc';

export interface LivePoint {
  ts: number;
  requests: number;
  responses: Record<'1xx' | '2xx' | '3xx' | '4xx' | '5xx', number>;
  errors: Record<'connect' | 'timeout' | 'reset', number>;
  activeConnections: number;
  latencyMs: { p50: number; p95: number; p99: number };
  health: 'healthy' | 'unhealthy' | 'unknown';
  ejected: boolean;
}

/** The pool's last five minutes, one point a second per backend, refreshed every second. */
export function useLivePool(poolId: string) {
  const trpc = useTRPC();
  const q = useQuery({ ...trpc.dataplanes.recentStats.queryOptions({ poolId, seconds: 300 }), refetchInterval: 1000 });
  const seconds = (q.data ?? []) as { ts: number; backends: Record<string, LivePoint> }[];
  // The newest second may still be filling in; the one before it is complete.
  const now = Math.floor(Date.now() / 1000) * 1000;
  const complete = seconds.filter((s) => s.ts < now);
  const latest = complete[complete.length - 1];
  return { seconds: complete, latest: latest?.backends ?? {}, loading: q.isLoading };
}
