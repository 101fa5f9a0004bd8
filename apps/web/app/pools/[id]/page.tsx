'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useParams, useRouter } from 'next/navigation';
import { useState } from 'react';
import { ApplyStatus } from '../../../components/apply-status';
import { ConfirmButton } from '../../../components/confirm-button';
import { ConfigExport } from '../../../components/config-export';
import { LiveTail } from '../../../components/live-tail';
import { PoolForm } from '../../../components/pool-form';
import { PoolLive } from '../../../components/pool-live';
import { PoolPanels } from '../../../components/pool-panels';
import { StaleNotice } from '../../../components/stale-notice';
import { useSession } from '../../../lib/session';
import { useToast } from '../../../lib/toast';
import { describeError, fieldErrorsOf, useTRPC } from '../../../lib/trpc';

export default function PoolPage() {
  const { id } = useParams<{ id: string }>();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  const toast = useToast();
  const { canWrite } = useSession();
  const [serverErrors, setServerErrors] = useState<Record<string, string[]>>({});
  const [justSaved, setJustSaved] = useState(false);
  const pool = useQuery(trpc.pools.get.queryOptions({ id }));
  const update = useMutation(
    trpc.pools.update.mutationOptions({
      onSuccess: async () => {
        setServerErrors({});
        setJustSaved(true);
        // Saved is not applied: the status beside the form says whether the data planes run it.
        toast('ok', 'Pool saved as a new revision');
        await qc.invalidateQueries();
      },
      onError: (err) => {
        setServerErrors(fieldErrorsOf(err));
        toast('error', describeError(err));
      },
    }),
  );
  const remove = useMutation(
    trpc.pools.delete.mutationOptions({
      onSuccess: async () => {
        toast('ok', 'Pool deleted');
        await qc.invalidateQueries();
        router.push('/');
      },
      onError: (err) => toast('error', describeError(err)),
    }),
  );

  if (pool.isLoading) return <p className="muted">Loading pool…</p>;
  if (pool.error) return <p className="error">{pool.error.message}</p>;
  const p = pool.data!;
  return (
    <div className="stack">
      {/* The live numbers re-render on their own every second; the rest of the page does not. */}
      <PoolLive
        pool={p}
        header={
          <>
            <div className="row">
              <h1>
                {p.name} {p.listenPort !== undefined && <span className="muted">:{p.listenPort}</span>}
              </h1>
              <ConfirmButton label="Delete pool" confirmLabel={`Delete ${p.name}`} disabled={!canWrite} onConfirm={() => remove.mutate({ id: p.id, expectedVersion: p.version })} />
            </div>
            <ApplyStatus poolId={p.id} justSaved={false} canWrite={canWrite} />
          </>
        }
      />
      <section className="card">
        <h2>Live requests</h2>
        {/* Client addresses and paths: operators and admins only (the tail.watch procedure says the same). */}
        {canWrite ? (
          <LiveTail poolId={p.id} backends={p.backends.map((b) => `${b.host}:${b.port}`)} />
        ) : (
          <p className="muted">The live request tail is for operators and admins (it shows client addresses and paths).</p>
        )}
      </section>
      <section className="card">
        <h2>Configuration</h2>
        <StaleNotice error={update.error} what="pool" onReload={() => void pool.refetch().then(() => update.reset())} />
        {justSaved && <ApplyStatus poolId={p.id} justSaved canWrite={canWrite} />}
        <PoolForm
          key={p.version}
          initial={p}
          submitLabel="Save pool"
          disabled={!canWrite}
          pending={update.isPending}
          serverErrors={serverErrors}
          onSubmit={(config) => update.mutate({ id: p.id, expectedVersion: p.version, patch: config })}
        />
        <ConfigExport poolId={p.id} />
      </section>
      <PoolPanels poolId={p.id} />
    </div>
  );
}
