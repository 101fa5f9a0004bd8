'use client';

import type { TAccessRecord } from '@fulcrum/protocol';
import { useSubscription } from '@trpc/tanstack-react-query';
import { memo, useEffect, useMemo, useRef, useState } from 'react';
import { clockTime } from '../lib/freshness';
import { NO_FILTER, TAIL_KEEP, type TailFilter, appendTail, matchesTail } from '../lib/tail-filter';
import type { TRouterOutputs, TYielded } from '../lib/router-outputs';
import { useTRPC } from '../lib/trpc';

// clockTime, not toLocaleTimeString: that builds a formatter per call, and was most of the tail's cost at ~60 lines/s.
const clock = (iso: string) => clockTime(Date.parse(iso));

/** A line as the tail keeps it: numbered on arrival, so a row keeps its key (and its DOM) as newer lines push in above it. */
interface TailLine {
  n: number;
  r: TAccessRecord;
}

/** The newest matching lines drawn; the rest of the TAIL_KEEP kept are there for the filters. */
const TAIL_SHOWN = 100;

/** Lines arrive in batches four times a second; the table takes them at most once a second, and not at all while the tab is hidden. */
const DRAW_EVERY_MS = 1000;

/**
 * A pool's live request tail: the sampled access records the data planes send while this panel
 * watches (at most 200 lines a second each; what was dropped over the bound is counted). Pausing
 * ends the subscription, so the data planes stop sending; the lines on screen stay.
 */
export function LiveTail({ poolId, backends }: { poolId: string; backends: string[] }) {
  const trpc = useTRPC();
  const [running, setRunning] = useState(true);
  const [lines, setLines] = useState<TailLine[]>([]);
  const [dropped, setDropped] = useState(0);
  const queued = useRef<{ lines: TailLine[]; dropped: number }>({ lines: [], dropped: 0 });
  const numbered = useRef(0);
  useEffect(() => {
    const draw = () => {
      const q = queued.current;
      if (document.hidden || (q.lines.length === 0 && q.dropped === 0)) return;
      queued.current = { lines: [], dropped: 0 };
      if (q.lines.length) setLines((kept) => appendTail(kept, q.lines));
      if (q.dropped) setDropped((n) => n + q.dropped);
    };
    const timer = setInterval(draw, DRAW_EVERY_MS);
    document.addEventListener('visibilitychange', draw);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', draw);
    };
  }, []);
  const [filter, setFilter] = useState<TailFilter>(NO_FILTER);
  const [coverage, setCoverage] = useState<TCoverage | null>(null);
  const sub = useSubscription(
    trpc.tail.watch.subscriptionOptions(
      { poolId },
      {
        enabled: running,
        onData: (batch) => {
          const q = queued.current;
          // Bounded while hidden too: only the newest TAIL_KEEP could ever be shown.
          for (const r of batch.lines) q.lines.push({ n: numbered.current++, r });
          if (q.lines.length > TAIL_KEEP) q.lines = q.lines.slice(-TAIL_KEEP);
          q.dropped += batch.dropped;
          setCoverage((old) => (old && JSON.stringify(old) === JSON.stringify(batch.coverage) ? old : batch.coverage));
        },
      },
    ),
  );
  const matching = useMemo(() => lines.filter((l) => matchesTail(l.r, filter)), [lines, filter]);
  const shown = matching.length > TAIL_SHOWN ? matching.slice(0, TAIL_SHOWN) : matching;
  const set = (patch: Partial<TailFilter>) => setFilter((f) => ({ ...f, ...patch }));

  return (
    <div className="live-tail" data-testid="live-tail">
      <div className="row">
        <button type="button" onClick={() => setRunning((r) => !r)}>
          {running ? 'Pause' : 'Resume'}
        </button>
        <select aria-label="Status class" value={filter.status} onChange={(e) => set({ status: e.target.value as TailFilter['status'] })}>
          <option value="all">all statuses</option>
          <option value="2xx">2xx</option>
          <option value="3xx">3xx</option>
          <option value="4xx">4xx</option>
          <option value="5xx">5xx</option>
          <option value="none">no answer</option>
        </select>
        <input aria-label="Path contains" placeholder="path contains" value={filter.path} onChange={(e) => set({ path: e.target.value })} />
        <select aria-label="Backend" value={filter.backend} onChange={(e) => set({ backend: e.target.value })}>
          <option value="">all backends</option>
          {backends.map((b) => (
            <option key={b} value={b}>
              {b}
            </option>
          ))}
          <option value="proxy">answered by the proxy / failed</option>
        </select>
        <span className="muted">
          {running ? (sub.status === 'pending' || sub.status === 'connecting' ? 'connecting…' : 'live') : 'paused'} · {matching.length} of {lines.length} lines match
          {matching.length > TAIL_SHOWN ? `, newest ${TAIL_SHOWN} shown` : ''} (newest {TAIL_KEEP} kept)
          {dropped > 0 && (
            <>
              {' '}
              · <span className="error">{dropped} dropped over the bound (200 lines/s per data plane)</span>
            </>
          )}
        </span>
      </div>
      {sub.error && <p className="error">{sub.error.message}</p>}
      {coverage && <TailCoverage {...coverage} />}
      {shown.length === 0 ? (
        <p className="muted">{running ? 'Waiting for requests…' : 'Paused.'}</p>
      ) : (
        <div className="tail-scroll">
          <table className="tail-table">
            <thead>
              <tr>
                <th>time</th>
                <th>status</th>
                <th>request</th>
                <th>backend</th>
                <th>ms</th>
                <th>client</th>
                <th>end</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((l) => (
                <TailRow key={l.n} r={l.r} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

type TCoverage = TYielded<TRouterOutputs['tail']['watch']>['coverage'];

/**
 * Which data planes the tail covers: those linked to the control-plane replica this browser
 * talks to and, through it, those linked to other replicas; the ones it cannot reach
 * (disconnected, or silent) are named, so a quiet tail is never mistaken for no traffic. While
 * this replica hears no PostgreSQL notifications, lines from other replicas cannot arrive: said so.
 */
function TailCoverage({ here, elsewhere, unreachable, notificationsDownSince }: TCoverage) {
  const relayDown = notificationsDownSince !== null;
  const from = relayDown ? here : [...here, ...elsewhere];
  return (
    <p className="muted" data-tail-coverage>
      {from.length ? (
        <>
          Lines from {from.join(', ')}
          {!relayDown && elsewhere.length > 0 && <> ({elsewhere.join(', ')} through another control-plane replica)</>}.
        </>
      ) : (
        <>No data plane is linked to a control-plane replica now.</>
      )}
      {relayDown && (
        <>
          {' '}
          <span className="warn" data-tail-relay-down>
            This control plane has heard no other replica since {clockTime(notificationsDownSince)} (its PostgreSQL notifications are down, reconnecting)
            {elsewhere.length > 0 ? `: lines from ${elsewhere.join(', ')} are not arriving` : ': data planes linked to other replicas are not shown'}.
          </span>
        </>
      )}
      {unreachable.length > 0 && (
        <>
          {' '}
          <span className="warn" data-tail-uncovered>
            Not reachable: {unreachable.join(', ')} (disconnected, or no word from it for 10 s); their requests are not shown.
          </span>
        </>
      )}
    </p>
  );
}

/** One line; never re-rendered once drawn (its record does not change). */
const TailRow = memo(function TailRow({ r }: { r: TAccessRecord }) {
  return (
    <tr className={r.status >= 500 || r.termination !== 'normal' ? 'bad' : undefined}>
      <td>{clock(r.time)}</td>
      <td>{r.status || '—'}</td>
      <td className="tail-path">
        {r.method} {r.path}
      </td>
      <td>{r.upstream || '—'}</td>
      <td>{r.durationMs.toFixed(1)}</td>
      <td>{r.clientIp}</td>
      <td>{r.termination}</td>
    </tr>
  );
});
