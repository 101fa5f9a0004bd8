import { LATENCY_BOUNDS_MS, PROXY_CAUSE_STATUS, type TLatencyHistogram, type TListenerStats, type TProxyCause, ZListenerAnswer } from '@fulcrum/protocol';
import type { Counters } from '../stats/backend-stats';
import type { ClientCounters } from '../stats/pool-stats';

/** A pool's running totals: what its clients got. */
export interface PoolMetricsRow {
  pool: string;
  poolId: string;
  client: ClientCounters;
  latency: TLatencyHistogram;
}

/** A backend's running totals: the upstream attempts, and its live state. */
export interface MetricsRow {
  pool: string;
  address: string;
  totals: Counters;
  latency: TLatencyHistogram;
  active: number;
  healthy: boolean;
  ejected: boolean;
  ewmaMs: number;
}

/** A listener's running totals: what it answered itself (no route, redirects, fixed responses). */
export interface ListenerMetricsRow extends TListenerStats {
  listener: string;
}

export interface MetricsView {
  pools: PoolMetricsRow[];
  /** Absent where nothing tracks listeners (a view built before they existed). */
  listeners?: ListenerMetricsRow[];
  backends: MetricsRow[];
}

type Labels = Record<string, string>;

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const labelText = (labels: Labels) => {
  const l = Object.entries(labels)
    .map(([k, v]) => `${k}="${esc(v)}"`)
    .join(',');
  return l ? `{${l}}` : '';
};
// Seconds with enough digits for 0.1 ms steps, without float noise (0.00015000000000000001).
const seconds = (ms: number) => String(Math.round(ms * 1000) / 1e6);
const LE = LATENCY_BOUNDS_MS.map(seconds);

/**
 * Running totals in the Prometheus text format (0.0.4), clean under `promtool check metrics`:
 * base units (seconds, bytes), `_total` counters, HELP and TYPE for every family, latency as
 * histograms in the shared buckets so rates and quantiles aggregate across data planes. Pool
 * families (`fulcrum_pool_*`) count what clients got; backend families count upstream attempts.
 */
export function renderMetrics(view: MetricsView, configVersion: number | null): string {
  const lines: string[] = [];
  const family = (name: string, type: 'counter' | 'gauge' | 'histogram', help: string) => lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  const metric = (name: string, type: 'counter' | 'gauge', help: string, samples: [Labels, number][]) => {
    family(name, type, help);
    for (const [labels, value] of samples) lines.push(`${name}${labelText(labels)} ${value}`);
  };
  const histogram = (name: string, help: string, samples: [Labels, TLatencyHistogram][]) => {
    family(name, 'histogram', help);
    for (const [labels, h] of samples) {
      let cumulative = 0;
      for (let i = 0; i < LE.length; i++) {
        cumulative += h.counts[i] ?? 0;
        lines.push(`${name}_bucket${labelText({ ...labels, le: LE[i]! })} ${cumulative}`);
      }
      cumulative += h.counts[LE.length] ?? 0;
      lines.push(`${name}_bucket${labelText({ ...labels, le: '+Inf' })} ${cumulative}`);
      lines.push(`${name}_sum${labelText(labels)} ${Math.round(h.sumMs * 1000) / 1e6}`);
      lines.push(`${name}_count${labelText(labels)} ${cumulative}`);
    }
  };

  const pools = view.pools;
  const pool = (p: PoolMetricsRow) => ({ pool: p.pool });
  metric(
    'fulcrum_pool_responses_total',
    'counter',
    "Responses sent to the pool's clients by status class, the proxy's own error answers included.",
    pools.flatMap((p) => Object.entries(p.client.responses).map(([code, n]) => [{ ...pool(p), code }, n] as [Labels, number])),
  );
  metric(
    'fulcrum_pool_proxy_responses_total',
    'counter',
    'Answers the proxy gave clients itself, by cause (no healthy backend, connect failed, timeout, max connections, bad request, ...).',
    pools.flatMap((p) =>
      (Object.keys(PROXY_CAUSE_STATUS) as TProxyCause[]).map((cause) => [{ ...pool(p), cause, code: String(PROXY_CAUSE_STATUS[cause]) }, p.client.proxyResponses[cause] ?? 0] as [Labels, number]),
    ),
  );
  metric(
    'fulcrum_pool_client_connections_total',
    'counter',
    'Client connections accepted, refused without service, and exchanges the client reset before its answer ended.',
    pools.flatMap((p) => Object.entries(p.client.connections).map(([event, n]) => [{ ...pool(p), event }, n] as [Labels, number])),
  );
  metric(
    'fulcrum_pool_retries_total',
    'counter',
    'Upstream attempts beyond the first.',
    pools.map((p) => [pool(p), p.client.retries]),
  );
  metric(
    'fulcrum_pool_bytes_in_total',
    'counter',
    'Request body bytes received from clients.',
    pools.map((p) => [pool(p), p.client.bytesIn]),
  );
  metric(
    'fulcrum_pool_bytes_out_total',
    'counter',
    'Response body bytes sent to clients.',
    pools.map((p) => [pool(p), p.client.bytesOut]),
  );
  histogram(
    'fulcrum_pool_request_duration_seconds',
    'Time from a request to the end of its answer, as clients saw it.',
    pools.map((p) => [pool(p), p.latency]),
  );

  // A listener's own answers are nobody's pool: a 404 with no route, a redirect, a fixed response.
  const listeners = view.listeners ?? [];
  metric(
    'fulcrum_listener_responses_total',
    'counter',
    'Answers a listener gave clients itself (no route matched, redirects, fixed responses, rate limits of routes without a pool), by status class.',
    listeners.flatMap((l) => Object.entries(l.responses).map(([code, n]) => [{ listener: l.listener, code }, n] as [Labels, number])),
  );
  metric(
    'fulcrum_listener_answers_total',
    'counter',
    "A listener's own answers by kind (no_route, redirect, fixed, rate_limited, reconfiguring, bad_redirect, acme_challenge).",
    listeners.flatMap((l) => ZListenerAnswer.options.map((answer) => [{ listener: l.listener, answer }, l.answers[answer] ?? 0] as [Labels, number])),
  );

  const rows = view.backends;
  const base = (r: MetricsRow) => ({ pool: r.pool, backend: r.address });
  metric(
    'fulcrum_backend_requests_total',
    'counter',
    'Upstream attempts sent to the backend, retries included.',
    rows.map((r) => [base(r), r.totals.requests]),
  );
  metric(
    'fulcrum_backend_responses_total',
    'counter',
    'Responses from the backend by status class (a retried 5xx included).',
    rows.flatMap((r) => Object.entries(r.totals.responses).map(([code, n]) => [{ ...base(r), code }, n] as [Labels, number])),
  );
  metric(
    'fulcrum_backend_errors_total',
    'counter',
    'Failed upstream attempts by kind, retried or not.',
    rows.flatMap((r) => Object.entries(r.totals.errors).map(([kind, n]) => [{ ...base(r), kind }, n] as [Labels, number])),
  );
  metric(
    'fulcrum_backend_bytes_in_total',
    'counter',
    'Bytes sent to the backend.',
    rows.map((r) => [base(r), r.totals.bytesIn]),
  );
  metric(
    'fulcrum_backend_bytes_out_total',
    'counter',
    'Bytes received from the backend.',
    rows.map((r) => [base(r), r.totals.bytesOut]),
  );
  metric(
    'fulcrum_backend_active_connections',
    'gauge',
    'Requests or connections in flight.',
    rows.map((r) => [base(r), r.active]),
  );
  metric(
    'fulcrum_backend_healthy',
    'gauge',
    '1 when observed healthy and not ejected.',
    rows.map((r) => [base(r), r.healthy && !r.ejected ? 1 : 0]),
  );
  metric(
    'fulcrum_backend_latency_ewma_seconds',
    'gauge',
    'Recent time to first byte (EWMA), as least-response-time balancing sees it.',
    rows.map((r) => [base(r), Math.round(r.ewmaMs * 1000) / 1e6]),
  );
  histogram(
    'fulcrum_backend_response_duration_seconds',
    'Time from an upstream attempt to the end of its answer.',
    rows.map((r) => [base(r), r.latency]),
  );
  metric('fulcrum_config_version', 'gauge', 'Config version in service.', [[{}, configVersion ?? 0]]);
  return `${lines.join('\n')}\n`;
}
