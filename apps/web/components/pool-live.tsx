'use client';

import { type ReactNode, useMemo } from 'react';
import { useLivePool } from '../lib/live-stats';
import type { TRouterOutputs } from '../lib/router-outputs';
import { BackendsTable } from './backends-table';
import { LiveCharts } from './live-charts';
import { LiveSummary } from './live-summary';

type TPool = TRouterOutputs['pools']['get'];

const useNames = (pool: TPool) => useMemo(() => Object.fromEntries(pool.backends.map((b) => [b.id, `${b.host}:${b.port}`])), [pool.backends]);

/**
 * The pool's overview section: what clients got, live. The stats subscription lives here (and in
 * the backends section, never both at once: only the section on screen subscribes and draws), so
 * a pushed second re-renders these alone, never the page around them.
 */
export function PoolOverviewLive({ pool, children }: { pool: TPool; children?: ReactNode }) {
  const live = useLivePool(pool.id);
  const names = useNames(pool);
  return (
    <section className="card" aria-labelledby="pool-traffic-heading">
      <h2 id="pool-traffic-heading">Live traffic</h2>
      <LiveSummary latest={live.latest} freshness={live.freshness} />
      <LiveCharts side="client" poolId={pool.id} seconds={live.seconds} untilTs={live.untilTs} freshness={live.freshness} names={names} />
      {children}
    </section>
  );
}

/** The pool's backends section: the table with each backend's live numbers, its health timeline and the upstream charts. */
export function PoolBackendsLive({ pool }: { pool: TPool }) {
  const live = useLivePool(pool.id);
  const names = useNames(pool);
  return (
    <>
      <section className="card" aria-labelledby="pool-backends-heading">
        <h2 id="pool-backends-heading">Backends</h2>
        <BackendsTable poolId={pool.id} backends={pool.backends} live={live.latest?.backends ?? EMPTY} stale={live.freshness.stale} />
      </section>
      <section className="card" aria-labelledby="pool-upstream-heading">
        <h2 id="pool-upstream-heading">Upstream traffic</h2>
        <LiveCharts side="upstream" poolId={pool.id} seconds={live.seconds} untilTs={live.untilTs} freshness={live.freshness} names={names} />
      </section>
    </>
  );
}

const EMPTY = {};
