'use client';

import { PROXY_CAUSE_LABEL, PROXY_CAUSE_STATUS, type TProxyCause } from '@fulcrum/protocol';
import Link from 'next/link';
import { clockTime, utcClockTime } from '../lib/freshness';
import type { TProblem } from '../lib/problems';
import { useHydrated } from '../lib/use-hydrated';

const pct = (r: number) => `${(r * 100).toFixed(1)} %`;

function ProblemLine({ p }: { p: TProblem }) {
  const clock = useHydrated() ? clockTime : utcClockTime;
  switch (p.kind) {
    case 'backend_down':
      return (
        <>
          Backend <Link href={`/pools/${p.poolId}`}>{p.address}</Link> in {p.pool} is {p.state === 'ejected' ? 'ejected' : 'down'}
          {p.since ? ` since ${clock(Date.parse(p.since))}` : ''}
          {p.lastCheck ? <span className="muted"> — last check: {p.lastCheck}</span> : null}
        </>
      );
    case 'client_errors':
      return (
        <>
          Pool <Link href={`/pools/${p.poolId}`}>{p.pool}</Link>: {pct(p.errorRate)} of client responses are errors ({p.errors} of {p.responses} in the last {p.windowSeconds} s)
          {(Object.entries(p.causes) as [TProxyCause, number][]).map(([c, n]) => (
            <span key={c} className="cause" data-cause={c}>
              {n} × {PROXY_CAUSE_STATUS[c]} {PROXY_CAUSE_LABEL[c]}
            </span>
          ))}
        </>
      );
    case 'refused_revision':
      return (
        <>
          Data plane {p.dataplane} refused <Link href={`/revisions?diff=${p.version}`}>revision {p.version}</Link>
          {p.pools.length ? ` for ${p.pools.join(', ')}` : ''}: <span className="muted">{p.error}</span>
        </>
      );
    case 'dataplane_disconnected':
      return (
        <>
          Data plane <Link href="/dataplanes">{p.dataplane}</Link> disconnected since {clock(Date.parse(p.since))}
        </>
      );
    case 'notifications_down':
      return (
        <>
          This control plane has heard no other replica since {clock(Date.parse(p.since))} (its PostgreSQL notifications are down, reconnecting)
          <span className="muted">
            {' '}
            — meanwhile it reads new revisions and the other replicas' stats itself every 2 s (numbers up to 2 s late); the live tail misses the lines of data planes linked elsewhere
          </span>
        </>
      );
  }
}

const keyOf = (p: TProblem) =>
  p.kind === 'backend_down'
    ? `b:${p.backendId}`
    : p.kind === 'client_errors'
      ? `c:${p.poolId}`
      : p.kind === 'refused_revision'
        ? `r:${p.dataplane}:${p.version}`
        : p.kind === 'dataplane_disconnected'
          ? `d:${p.dataplaneId}`
          : 'n';

/** The top of the overview: what is wrong now, worst first; one calm line when nothing is. */
export function ProblemsStrip({ problems, error }: { problems: TProblem[] | undefined; error: string | null }) {
  if (error)
    return (
      <section className="card problems problems-bad" role="alert">
        Problems unknown: {error}
      </section>
    );
  if (!problems) return null;
  if (problems.length === 0)
    return (
      <section className="card problems problems-none" data-problems="0">
        No problems: every backend is up, no client errors, every data plane connected and running its config.
      </section>
    );
  return (
    <section className="card problems problems-bad" role="alert" data-problems={problems.length} aria-label="Problems">
      <h2>Problems ({problems.length})</h2>
      <ul>
        {problems.map((p) => (
          <li key={keyOf(p)} data-problem={p.kind}>
            <ProblemLine p={p} />
          </li>
        ))}
      </ul>
    </section>
  );
}
