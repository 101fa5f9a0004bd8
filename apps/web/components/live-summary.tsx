'use client';

import { PROXY_CAUSE_STATUS, clientErrorRate } from '@fulcrum/protocol';
import { type Freshness, LIVE_WINDOW_LABEL, type LiveSecond, causeList } from '../lib/live-stats';

const pct = (r: number) => `${(r * 100).toFixed(1)} %`;

/** "no data since 14:22:05 (data plane edge-1 disconnected)" beside numbers that went stale. */
export function StaleNote({ freshness }: { freshness: Freshness }) {
  if (!freshness.stale) return null;
  return (
    <span className="stale-note" role="status" data-stale-note>
      {freshness.note}
    </span>
  );
}

/**
 * A pool's newest second as its clients saw it: responses, error rate (client 5xx over client
 * responses), the proxy's own answers by cause, latency percentiles from the merged histogram,
 * and apart from them retries and failed upstream attempts. Greys out when stale.
 */
export function LiveSummary({ latest, freshness }: { latest: LiveSecond | undefined; freshness: Freshness }) {
  const t = latest?.traffic;
  if (!t) return <p className="muted">No client-side numbers yet{latest ? ' (the data plane predates them: see the backends below)' : ''}.</p>;
  const rate = clientErrorRate(t);
  return (
    <div>
      <div className={`live-summary${freshness.stale ? ' stale' : ''}`} data-live-summary data-stale={freshness.stale || undefined}>
        <span>
          <span className="label">Responses/s ({LIVE_WINDOW_LABEL})</span>
          <span className="figure" data-figure="rps">
            {t.responses}
          </span>
        </span>
        <span>
          <span className="label">Client errors ({LIVE_WINDOW_LABEL})</span>
          <span className={`figure${rate > 0 ? ' error-rate-high' : ''}`} data-figure="errors">
            {pct(rate)}
          </span>
          {causeList(t).map((c) => (
            <span key={c.cause} className="cause" data-cause={c.cause}>
              {c.count} × {PROXY_CAUSE_STATUS[c.cause]} {c.label}
            </span>
          ))}
        </span>
        <span>
          <span className="label">Latency p50 / p95 / p99 ms</span>
          <span className="figure">{t.responses > 0 ? `${t.p50Ms} / ${t.p95Ms} / ${t.p99Ms}` : '—'}</span>
        </span>
        <span>
          <span className="label">Retries · failed upstream attempts</span>
          <span className="figure">
            {t.retries} · {t.upstreamErrors}
          </span>
        </span>
      </div>
      <StaleNote freshness={freshness} />
    </div>
  );
}
