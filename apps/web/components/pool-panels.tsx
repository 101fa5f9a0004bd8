'use client';

import { memo } from 'react';
import { DeploysPanel } from './deploys-panel';
import { EventsList } from './events-list';
import { ScalingRulesPanel } from './scaling-rules-panel';

/**
 * The pool page's scaling rules, deploys and events: each reads its own data, so they are kept
 * out of the page's once-a-second re-render for live stats (memo on the pool id alone).
 */
export const PoolPanels = memo(function PoolPanels({ poolId }: { poolId: string }) {
  return (
    <>
      <section className="card">
        <h2>Scaling rules</h2>
        <ScalingRulesPanel poolId={poolId} />
      </section>
      <section className="card">
        <h2>Deploys</h2>
        <DeploysPanel poolId={poolId} />
      </section>
      <section className="card">
        <h2>Events</h2>
        <EventsList poolId={poolId} />
      </section>
    </>
  );
});
