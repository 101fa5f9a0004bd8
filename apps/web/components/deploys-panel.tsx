'use client';

import { DEPLOY_FINAL_STATUSES, type TDeployStatus } from '@fulcrum/protocol';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useSession } from '../lib/session';
import { useToast } from '../lib/toast';
import { describeError, useTRPC } from '../lib/trpc';
import { ConfirmButton } from './confirm-button';
import { DeployStartForm } from './deploy-start-form';
import { Skeleton } from './skeleton';

const isFinal = (s: TDeployStatus) => DEPLOY_FINAL_STATUSES.includes(s);
const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');
const stepMessage = (detail: unknown) => ((detail as { message?: unknown } | null)?.message as string | undefined) ?? '';

/** A pool's deploys: start one, follow the chosen one step by step, abort it while it runs. */
export function DeploysPanel({ poolId }: { poolId: string }) {
  const trpc = useTRPC();
  const [chosen, setChosen] = useState<string | null>(null);
  const deploys = useQuery({
    ...trpc.deploys.list.queryOptions({ pool: poolId, limit: 20 }),
    refetchInterval: (q) => (q.state.data?.some((d) => !isFinal(d.status)) ? 2000 : 10_000),
  });
  const shownId = chosen ?? deploys.data?.[0]?.id;

  return (
    <div className="stack">
      <DeployStartForm poolId={poolId} onStarted={setChosen} />
      {deploys.isLoading && <Skeleton label="Loading deploys" />}
      {deploys.error && <p className="error">{deploys.error.message}</p>}
      {deploys.data?.length === 0 && <p className="muted">No deploys yet. Start one above, or from CI with fulcrumctl or the REST API.</p>}
      {!!deploys.data?.length && (
        <div className="table-wrap">
          <table className="deploys">
            <thead>
              <tr>
                <th>Version</th>
                <th>Strategy</th>
                <th>Status</th>
                <th>Started by</th>
                <th>Started</th>
                <th>Finished</th>
                <th>Steps</th>
              </tr>
            </thead>
            <tbody>
              {deploys.data.map((d) => (
                <tr key={d.id} data-deploy={d.versionLabel} className={d.id === shownId ? 'selected' : undefined}>
                  <td className="mono">{d.versionLabel}</td>
                  <td>{d.strategy === 'bluegreen' ? 'blue/green' : 'canary'}</td>
                  <td>
                    <span className={`deploy-status status-${d.status}`}>{d.status.replaceAll('_', ' ')}</span>
                  </td>
                  <td>{d.startedBy}</td>
                  <td>{when(d.createdAt)}</td>
                  <td>{when(d.finishedAt)}</td>
                  <td>
                    <button type="button" aria-pressed={d.id === shownId} onClick={() => setChosen(d.id)}>
                      Show steps
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {shownId && <DeployDetail id={shownId} />}
    </div>
  );
}

/** One deploy's steps, polled every second until it ends; each step may change the pool's backends. */
function DeployDetail({ id }: { id: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const { canWrite } = useSession();
  const deploy = useQuery({
    ...trpc.deploys.get.queryOptions({ id }),
    refetchInterval: (q) => (q.state.data && isFinal(q.state.data.status) ? false : 1000),
  });
  const abort = useMutation(
    trpc.deploys.abort.mutationOptions({
      onSuccess: async (d) => {
        toast('ok', `Abort of ${d.versionLabel} requested; it rolls back`);
        await qc.invalidateQueries(trpc.deploys.pathFilter());
      },
      onError: (err) => toast('error', describeError(err)),
    }),
  );
  const d = deploy.data;
  const steps = d?.steps.length ?? 0;
  const status = d?.status;
  useEffect(() => {
    if (!status) return;
    // Steps add, reweigh, drain and remove backends: the pool, the list and the timeline follow.
    void qc.invalidateQueries(trpc.pools.pathFilter());
    void qc.invalidateQueries(trpc.deploys.list.pathFilter());
    void qc.invalidateQueries(trpc.events.pathFilter());
  }, [steps, status, qc, trpc]);

  if (deploy.isLoading) return <Skeleton label="Loading deploy" />;
  if (deploy.error) return <p className="error">{deploy.error.message}</p>;
  if (!d) return null;
  return (
    <div className="deploy-detail" data-deploy-detail={d.versionLabel}>
      <div className="row">
        <h3>
          Version {d.versionLabel}: <span className={`deploy-status status-${d.status}`}>{d.status.replaceAll('_', ' ')}</span>
        </h3>
        {!isFinal(d.status) && (
          <ConfirmButton label="Abort" confirmLabel="Abort and roll back" disabled={!canWrite} onConfirm={() => abort.mutate({ id: d.id, reason: 'aborted from the dashboard' })} />
        )}
      </div>
      {d.error && <p className="error">{d.error}</p>}
      <ol className="steps">
        {d.steps.map((s) => (
          <li key={s.seq} className={`step step-${s.status}`} data-step={s.name}>
            <time dateTime={s.createdAt}>{new Date(s.createdAt).toLocaleTimeString()}</time>
            <span className="badge">{s.status}</span>
            <strong>{s.name}</strong>
            <span>{stepMessage(s.detail)}</span>
          </li>
        ))}
      </ol>
    </div>
  );
}
