'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { PROXY_CAUSE_STATUS } from '@fulcrum/protocol';
import { ActionsMenu } from './actions-menu';
import { EventsList } from './events-list';
import { StaleNote } from './live-summary';
import { ProblemsStrip } from './problems-strip';
import { OVERVIEW_EVENTS } from '../lib/overview-limits';
import { LIVE_WINDOW_LABEL, useLiveStats } from '../lib/live-stats';
import { POOL_SECTIONS, poolSectionHref } from '../lib/pool-sections';
import { useProblems } from '../lib/problems';
import { useSession } from '../lib/session';
import { useTRPC } from '../lib/trpc';
import { Skeleton } from './skeleton';
import { usePageTitle } from '../lib/use-page-title';

/** The overview: pools with their live numbers, data planes, latest events (app/page.tsx renders it first on the server). */
export function Overview() {
  usePageTitle('Pools');
  const trpc = useTRPC();
  const { canWrite } = useSession();
  const pools = useQuery({ ...trpc.pools.list.queryOptions(), refetchInterval: 5000 });
  const live = useLiveStats();
  const planes = useQuery({ ...trpc.dataplanes.list.queryOptions(), refetchInterval: 5000 });
  const problems = useProblems();
  // A pool with a backend down or clients getting errors is a red row.
  const troubled = new Set(problems.data?.flatMap((p) => (p.kind === 'backend_down' || p.kind === 'client_errors' ? [p.poolId] : [])));
  return (
    <div className="stack">
      <ProblemsStrip problems={problems.data} error={problems.error?.message ?? null} />
      <section className="card">
        <div className="row">
          <h1>Pools</h1>
          {canWrite ? (
            <Link href="/pools/new" className="button primary">
              New pool
            </Link>
          ) : (
            <button type="button" className="primary" disabled>
              New pool
            </button>
          )}
        </div>
        {pools.isLoading && <Skeleton label="Loading pools" lines={4} />}
        {pools.error && <p className="error">{pools.error.message}</p>}
        {pools.data?.length === 0 && <p className="muted">No pools yet. Create one to put a listener in front of your backends.</p>}
        {!!pools.data?.length && (
          <div className="table-wrap">
            <table className="pools">
              <thead>
                <tr>
                  <th>Pool</th>
                  <th>Listener</th>
                  <th>Algorithm</th>
                  <th>Req/s</th>
                  <th>Client errors ({LIVE_WINDOW_LABEL})</th>
                  <th>p99 ms</th>
                  <th>Healthy</th>
                  <th className="pool-menu">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {pools.data.map((p) => {
                  const s = live.pools[p.id];
                  const fresh = live.freshness(p.id);
                  const stale = fresh.stale ? ' stale' : '';
                  return (
                    <tr key={p.id} data-pool={p.name} data-stale={fresh.stale || undefined} data-problem={troubled.has(p.id) || undefined} className={troubled.has(p.id) ? 'row-problem' : undefined}>
                      <td className="pool-name">
                        <Link href={`/pools/${p.id}`}>{p.name}</Link>
                      </td>
                      <td className="mono listener">{p.listenPort === undefined ? <span className="muted">routed</span> : `${p.protocol}://${p.listenHost}:${p.listenPort}`}</td>
                      <td className="algorithm">{p.algorithm.replaceAll('_', ' ')}</td>
                      {s ? (
                        <>
                          <td className={`rps${stale}`} data-label="Req/s">
                            {s.rps}
                            <StaleNote freshness={fresh} />
                          </td>
                          <td className={`errors${stale}${s.errorRate > 0 ? ' error-rate-high' : ''}`} data-error-rate={s.errorRate} data-label="Errors">
                            {(s.errorRate * 100).toFixed(1)}%
                            {s.causes.map((c) => (
                              <span key={c.cause} className="cause" data-cause={c.cause}>
                                {PROXY_CAUSE_STATUS[c.cause]} {c.label} ×{c.count}
                              </span>
                            ))}
                          </td>
                          <td className={`p99${stale}`} data-label="p99 ms">
                            {s.rps > 0 ? s.p99 : '—'}
                          </td>
                          <td className={`healthy${stale}`} data-label="Healthy">
                            {s.healthy}/{p.backendCount}
                          </td>
                        </>
                      ) : (
                        <>
                          <td className="rps muted" data-label="Req/s">
                            no data yet
                          </td>
                          <td className="errors muted" data-label="Errors">
                            —
                          </td>
                          <td className="p99 muted" data-label="p99 ms">
                            —
                          </td>
                          <td className="healthy muted" data-label="Healthy">
                            —/{p.backendCount}
                          </td>
                        </>
                      )}
                      <td className="pool-menu">
                        <ActionsMenu label={`Actions for ${p.name}`}>
                          {POOL_SECTIONS.map((section) => (
                            <Link key={section.id} href={poolSectionHref(p.id, section.id)}>
                              {section.label}
                            </Link>
                          ))}
                        </ActionsMenu>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <section className="card">
        <h2>Data planes</h2>
        <p>
          {planes.data?.filter((d) => d.connected).length ?? 0} connected of {planes.data?.length ?? 0} known. <Link href="/dataplanes">Details</Link>
        </p>
      </section>
      <section className="card">
        <h2>Latest events</h2>
        <EventsList limit={OVERVIEW_EVENTS} />
      </section>
    </div>
  );
}
