'use client';

import type { TAccessRecord } from '@fulcrum/protocol';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useMemo, useState } from 'react';
import { NO_FILTER, TAIL_KEEP, type TailFilter, appendTail, matchesTail } from '../lib/tail-filter';
import { useTRPC } from '../lib/trpc';

const clock = (iso: string) => new Date(iso).toLocaleTimeString([], { hour12: false, hour: '2-digit', minute: '2-digit', second: '2-digit' });

/**
 * A pool's live request tail: the sampled access records the data planes send while this panel
 * watches (at most 200 lines a second each; what was dropped over the bound is counted). Pausing
 * ends the subscription, so the data planes stop sending; the lines on screen stay.
 */
export function LiveTail({ poolId, backends }: { poolId: string; backends: string[] }) {
  const trpc = useTRPC();
  const [running, setRunning] = useState(true);
  const [lines, setLines] = useState<TAccessRecord[]>([]);
  const [dropped, setDropped] = useState(0);
  const [filter, setFilter] = useState<TailFilter>(NO_FILTER);
  const sub = useSubscription(
    trpc.tail.watch.subscriptionOptions(
      { poolId },
      {
        enabled: running,
        onData: (batch) => {
          if (batch.lines.length) setLines((kept) => appendTail(kept, batch.lines));
          if (batch.dropped) setDropped((n) => n + batch.dropped);
        },
      },
    ),
  );
  const shown = useMemo(() => lines.filter((l) => matchesTail(l, filter)), [lines, filter]);
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
          {running ? (sub.status === 'pending' || sub.status === 'connecting' ? 'connecting…' : 'live') : 'paused'} · {shown.length} of {lines.length} lines (newest {TAIL_KEEP} kept)
          {dropped > 0 && <> · <span className="error">{dropped} dropped over the bound (200 lines/s per data plane)</span></>}
        </span>
      </div>
      {sub.error && <p className="error">{sub.error.message}</p>}
      {shown.length === 0 ? (
        <p className="muted">{running ? 'Waiting for requests…' : 'Paused.'}</p>
      ) : (
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
            {shown.map((l, i) => (
              <tr key={`${l.requestId}-${l.time}-${i}`} className={l.status >= 500 || l.termination !== 'normal' ? 'bad' : undefined}>
                <td>{clock(l.time)}</td>
                <td>{l.status || '—'}</td>
                <td className="tail-path">
                  {l.method} {l.path}
                </td>
                <td>{l.upstream || '—'}</td>
                <td>{l.durationMs.toFixed(1)}</td>
                <td>{l.clientIp}</td>
                <td>{l.termination}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
