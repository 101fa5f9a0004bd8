'use client';

import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '../lib/trpc';
import { useRollback } from '../lib/use-rollback';
import { ConfirmButton } from './confirm-button';

/**
 * Saved versus running, where the operator saved: the pool's newest revision and whether the data
 * planes run it, are applying it or refused it (with the reason and a rollback to the revision
 * before). `justSaved` makes it speak up right after a save, until every data plane answered.
 */
export function ApplyStatus({ poolId, justSaved, canWrite }: { poolId: string; justSaved: boolean; canWrite: boolean }) {
  const trpc = useTRPC();
  const status = useQuery({ ...trpc.revisions.poolStatus.queryOptions({ poolId }), refetchInterval: (q) => (justSaved && (q.state.data?.pending.length ?? 0) > 0 ? 1000 : 5000) });
  const rollback = useRollback();
  const s = status.data;
  if (!s || s.version === null) return null;
  if (s.refused.length > 0) {
    return (
      <div className="notice" role="alert" data-apply-status="refused">
        <p>
          Saved as revision {s.version}, <strong className="refusal">refused by {s.refused.map((r) => `${r.dataplane}: ${r.error}`).join('; ')}</strong>. The data plane
          {s.refused.length > 1 ? 's keep' : ' keeps'} serving the config before it{s.running.length ? `; running on ${s.running.join(', ')}` : ''}.
        </p>
        {s.previousVersion !== null && (
          <ConfirmButton
            label={`Roll back to revision ${s.previousVersion}?`}
            confirmLabel={`Restore ${s.previousVersion}`}
            disabled={!canWrite}
            onConfirm={() => rollback.mutate({ version: s.previousVersion! })}
          />
        )}
      </div>
    );
  }
  if (s.pending.length > 0) {
    return (
      <p className="muted" data-apply-status="pending">
        Saved as revision {s.version}: applying on {s.pending.join(', ')}
        {s.running.length ? ` · running on ${s.running.join(', ')}` : ''}
      </p>
    );
  }
  if (!justSaved) return null;
  return (
    <p className="muted" data-apply-status="running">
      Saved as revision {s.version}: {s.running.length ? `running on ${s.running.join(', ')}` : 'no data plane connected'}
    </p>
  );
}
