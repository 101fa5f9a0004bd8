'use client';

import { useQuery } from '@tanstack/react-query';
import { useTRPC } from './trpc';

/**
 * The dashboard's one seam for live traffic. Pages read live numbers only through the hooks
 * below; today they poll the hub's in-memory stats (`dataplanes.recentStats`,
 * `dataplanes.poolSummaries`) once a second. A push source (a tRPC subscription over the SSE
 * link in ./trpc) replaces the queries here without any page changing. Until a data plane
 * reports, the hooks return empty data and pages show "no data yet".
 */

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

export interface LivePoolSummary {
  rps: number;
  errorRate: number;
  p99: number;
  /** Backends reported healthy and not ejected. */
  healthy: number;
  /** Backends the data planes reported on at all. */
  reported: number;
}

/** Every pool's newest complete second, keyed by pool id (the overview). */
export function useLiveStats(): { pools: Record<string, LivePoolSummary>; loading: boolean } {
  const trpc = useTRPC();
  const q = useQuery({ ...trpc.dataplanes.poolSummaries.queryOptions(), refetchInterval: 1000 });
  return { pools: q.data ?? {}, loading: q.isLoading };
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
