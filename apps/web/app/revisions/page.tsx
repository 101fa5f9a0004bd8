'use client';

import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { ConfirmButton } from '../../components/confirm-button';
import type { TRouterOutputs } from '../../lib/router-outputs';
import { useSession } from '../../lib/session';
import { useTRPC } from '../../lib/trpc';
import { useRollback } from '../../lib/use-rollback';
import { Skeleton } from '../../components/skeleton';
import { usePageTitle } from '../../lib/use-page-title';

type Applied = TRouterOutputs['stats']['applied'][number];

/**
 * Which data planes run this revision, are still applying it, or refused it and why. A refusal
 * stays on its revision: a newer revision applied later never turns it into "applied".
 */
function AppliedCell({ applied }: { applied: Applied | undefined }) {
  if (!applied) return <span className="muted">—</span>;
  if (applied.appliedBy.length === 0 && applied.pending.length === 0 && applied.refused.length === 0) return <span className="muted">no data plane connected</span>;
  const badge =
    applied.refused.length > 0 ? (
      <span className="badge applied-refused">{applied.appliedBy.length > 0 ? 'partly refused' : 'refused'}</span>
    ) : applied.fullyApplied ? (
      <span className="badge applied-full">fully applied</span>
    ) : (
      <span className="badge applied-pending">applying</span>
    );
  return (
    <>
      {badge}
      {applied.running.length > 0 && <span> running on {applied.running.join(', ')}</span>}
      {applied.appliedBy.length > applied.running.length && <span className="muted"> · applied by {applied.appliedBy.filter((n) => !applied.running.includes(n)).join(', ')} (since replaced)</span>}
      {applied.pending.length > 0 && <span className="muted"> · pending: {applied.pending.join(', ')}</span>}
      {applied.refused.map((r) => (
        <span key={r.dataplane} className="refusal" data-refused-by={r.dataplane}>
          {' '}
          · refused by {r.dataplane}: {r.error}
        </span>
      ))}
    </>
  );
}

const show = (v: unknown) => (v === undefined ? '' : JSON.stringify(v, null, 1));

export default function RevisionsPage() {
  usePageTitle('Revisions');
  const trpc = useTRPC();
  const { canWrite } = useSession();
  const revisions = useQuery(trpc.revisions.list.queryOptions({ limit: 100 }));
  const applied = useQuery({ ...trpc.stats.applied.queryOptions({ limit: 100 }), refetchInterval: 5000 });
  const appliedByVersion = new Map(applied.data?.map((a) => [a.version, a]));
  const [pair, setPair] = useState<{ from: number; to: number } | null>(null);
  const diff = useQuery({ ...trpc.revisions.diff.queryOptions(pair ?? { from: 0, to: 0 }), enabled: pair !== null });
  const rollback = useRollback();
  // /revisions?diff=N (from a mark on a pool's charts or the problems strip) opens N's diff against N-1.
  useEffect(() => {
    const n = Number(new URLSearchParams(window.location.search).get('diff'));
    if (Number.isInteger(n) && n > 0) setPair({ from: n - 1, to: n });
  }, []);

  return (
    <div className="stack">
      <section className="card">
        <h1>Config revisions</h1>
        {revisions.isLoading && <Skeleton label="Loading revisions" lines={5} />}
        {revisions.data?.length === 0 && <p className="muted">No revisions yet: every change to pools and backends makes one.</p>}
        {!!revisions.data?.length && (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th>Version</th>
                  <th>When</th>
                  <th>Author</th>
                  <th>Message</th>
                  <th>Data planes</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {revisions.data.map((r, i) => (
                  <tr key={r.version} data-revision={r.version}>
                    <td className="mono">{r.version}</td>
                    <td>{new Date(r.createdAt).toLocaleString()}</td>
                    <td>{r.author}</td>
                    <td>{r.message}</td>
                    <td className="applied">
                      <AppliedCell applied={appliedByVersion.get(r.version)} />
                    </td>
                    <td className="actions">
                      <button type="button" onClick={() => setPair({ from: revisions.data[i + 1]?.version ?? 0, to: r.version })}>
                        Diff
                      </button>
                      {i > 0 && (
                        <ConfirmButton
                          label="Roll back"
                          confirmLabel={`Restore ${r.version}`}
                          disabled={!canWrite}
                          onConfirm={() => rollback.mutate({ version: r.version, expectedVersion: revisions.data[0]?.version })}
                        />
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {pair && (
        <section className="card">
          <div className="row">
            <h2>
              Revision {pair.from} → {pair.to}
            </h2>
            <span className="diff-pick">
              <label>
                from <input type="number" value={pair.from} min={0} onChange={(e) => setPair({ ...pair, from: Number(e.target.value) })} />
              </label>{' '}
              <label>
                to <input type="number" value={pair.to} min={0} onChange={(e) => setPair({ ...pair, to: Number(e.target.value) })} />
              </label>
            </span>
          </div>
          {diff.error && <p className="error">{diff.error.message}</p>}
          {diff.data?.changes.length === 0 && <p className="muted">No differences.</p>}
          {!!diff.data?.changes.length && (
            <table className="diff">
              <thead>
                <tr>
                  <th>Path</th>
                  <th>Before ({pair.from})</th>
                  <th>After ({pair.to})</th>
                </tr>
              </thead>
              <tbody>
                {diff.data.changes.map((c) => (
                  <tr key={c.path} className={`diff-${c.kind}`}>
                    <td className="mono">{c.path}</td>
                    <td>
                      <pre>{show(c.before)}</pre>
                    </td>
                    <td>
                      <pre>{show(c.after)}</pre>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
      )}
    </div>
  );
}
