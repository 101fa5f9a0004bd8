'use client';

import { type ReactNode, useMemo } from 'react';
import { useLivePool } from '../lib/live-stats';
import type { TRouterOutputs } from '../lib/router-outputs';
import { BackendsTable } from './backends-table';
import { LiveCharts } from './live-charts';
import { LiveSummary } from './live-summary';

type TPool = TRouterOutputs['pools']['get'];

/**
 * The parts of a pool's page that change every second: the backends' live numbers and the live
 * traffic. The stats subscription lives here, so a pushed second re-renders these alone, never the
 * pool's form or panels (`header` is an element made by the page: React reuses it as it is).
 */
export function PoolLive({ pool, header }: { pool: TPool; header: ReactNode }) {
  const live = useLivePool(pool.id);
  const names = useMemo(() => Object.fromEntries(pool.backends.map((b) => [b.id, `${b.host}:${b.port}`])), [pool.backends]);
  return (
    <>
      <section className="card">
        {header}
        <h2>Backends</h2>
        <BackendsTable poolId={pool.id} backends={pool.backends} live={live.latest?.backends ?? EMPTY} stale={live.freshness.stale} />
      </section>
      <section className="card">
        <h2>Live traffic</h2>
        <LiveSummary latest={live.latest} freshness={live.freshness} />
        <LiveCharts poolId={pool.id} seconds={live.seconds} untilTs={live.untilTs} freshness={live.freshness} names={names} />
      </section>
    </>
  );
}

const EMPTY = {};
