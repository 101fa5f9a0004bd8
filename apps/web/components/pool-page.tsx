'use client';

import { useMutation, useQuery } from '@tanstack/react-query';
import { TRPCClientError } from '@trpc/client';
import { notFound, useParams, useRouter, useSearchParams } from 'next/navigation';
import { ApplyStatus } from './apply-status';
import { ConfirmButton } from './confirm-button';
import { DeploysPanel } from './deploys-panel';
import { EventsList } from './events-list';
import { LiveTail } from './live-tail';
import { PoolConfigSection } from './pool-config-section';
import { PoolBackendsLive, PoolOverviewLive } from './pool-live';
import { PoolSectionTabs } from './pool-section-tabs';
import { ScalingRulesPanel } from './scaling-rules-panel';
import { Skeleton } from './skeleton';
import { POOL_SECTIONS, poolSectionOf } from '../lib/pool-sections';
import { useSession } from '../lib/session';
import { useTRPC } from '../lib/trpc';
import { useMutationFeedback } from '../lib/use-mutation-feedback';
import { usePageTitle } from '../lib/use-page-title';

/** An id that names no pool (deleted, mistyped, or not an id at all): the page is a 404. */
const isMissing = (err: unknown) => err instanceof TRPCClientError && ['NOT_FOUND', 'BAD_REQUEST'].includes(err.data?.code);

/**
 * A pool, one section at a time (overview, backends, config, scaling, deploys, events; the
 * section in the URL). Only the section on screen reads its data: live charts and subscriptions
 * of hidden sections are not mounted, which keeps the page cheap while live.
 */
export function PoolPage() {
  const { id } = useParams<{ id: string }>();
  const section = poolSectionOf(useSearchParams().get('section'));
  const trpc = useTRPC();
  const router = useRouter();
  const { canWrite } = useSession();
  const pool = useQuery(trpc.pools.get.queryOptions({ id }));
  const remove = useMutation(trpc.pools.delete.mutationOptions(useMutationFeedback(() => 'Pool deleted', { done: () => router.push('/') })));
  const sectionLabel = POOL_SECTIONS.find((s) => s.id === section)!.label;
  usePageTitle(section === 'overview' ? undefined : sectionLabel, pool.data?.name, 'Pools');

  if (pool.error && isMissing(pool.error)) notFound();
  if (pool.isLoading) return <Skeleton label="Loading pool" lines={6} />;
  if (pool.error) return <p className="error">{pool.error.message}</p>;
  const p = pool.data!;
  return (
    <div className="stack">
      <section className="card pool-header">
        <div className="row">
          <h1>
            {p.name} {p.listenPort !== undefined && <span className="muted">:{p.listenPort}</span>}
          </h1>
          <ConfirmButton label="Delete pool" confirmLabel={`Delete ${p.name}`} disabled={!canWrite} onConfirm={() => remove.mutate({ id: p.id, expectedVersion: p.version })} />
        </div>
        <ApplyStatus poolId={p.id} justSaved={false} canWrite={canWrite} />
        <PoolSectionTabs poolId={p.id} current={section} />
      </section>
      {section === 'overview' && <PoolOverviewLive pool={p} />}
      {section === 'backends' && <PoolBackendsLive pool={p} />}
      {section === 'config' && <PoolConfigSection pool={p} canWrite={canWrite} onReload={() => pool.refetch()} />}
      {section === 'scaling' && (
        <section className="card">
          <h2>Scaling rules</h2>
          <ScalingRulesPanel poolId={p.id} />
        </section>
      )}
      {section === 'deploys' && (
        <section className="card">
          <h2>Deploys</h2>
          <DeploysPanel poolId={p.id} />
        </section>
      )}
      {section === 'events' && (
        <>
          <section className="card">
            <h2>Events</h2>
            <EventsList poolId={p.id} />
          </section>
          <section className="card">
            <h2>Live requests</h2>
            {/* Client addresses and paths: operators and admins only (the tail.watch procedure says the same). */}
            {canWrite ? (
              <LiveTail poolId={p.id} backends={p.backends.map((b) => `${b.host}:${b.port}`)} />
            ) : (
              <p className="muted">The live request tail is for operators and admins (it shows client addresses and paths).</p>
            )}
          </section>
        </>
      )}
    </div>
  );
}
