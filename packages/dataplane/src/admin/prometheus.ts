import type { Counters } from '../stats/backend-stats';

export interface MetricsRow {
  pool: string;
  address: string;
  totals: Counters;
  active: number;
  healthy: boolean;
  ejected: boolean;
  ewmaMs: number;
}

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/** Running totals per backend in the Prometheus text format (0.0.4). */
export function renderMetrics(rows: MetricsRow[], configVersion: number | null): string {
  const lines: string[] = [];
  const metric = (name: string, type: 'counter' | 'gauge', help: string, rows: [Record<string, string>, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of rows) {
      const l = Object.entries(labels)
        .map(([k, v]) => `${k}="${esc(v)}"`)
        .join(',');
      lines.push(`${name}{${l}} ${value}`);
    }
  };
  const base = (r: (typeof rows)[number]) => ({ pool: r.pool, backend: r.address });
  metric('fulcrum_backend_requests_total', 'counter', 'Requests sent to the backend.', rows.map((r) => [base(r), r.totals.requests]));
  metric(
    'fulcrum_backend_responses_total',
    'counter',
    'Responses from the backend by status class.',
    rows.flatMap((r) => Object.entries(r.totals.responses).map(([code, n]) => [{ ...base(r), code }, n] as [Record<string, string>, number])),
  );
  metric(
    'fulcrum_backend_errors_total',
    'counter',
    'Failed exchanges with the backend by kind.',
    rows.flatMap((r) => Object.entries(r.totals.errors).map(([kind, n]) => [{ ...base(r), kind }, n] as [Record<string, string>, number])),
  );
  metric('fulcrum_backend_bytes_in_total', 'counter', 'Bytes sent to the backend.', rows.map((r) => [base(r), r.totals.bytesIn]));
  metric('fulcrum_backend_bytes_out_total', 'counter', 'Bytes received from the backend.', rows.map((r) => [base(r), r.totals.bytesOut]));
  metric('fulcrum_backend_active_connections', 'gauge', 'Requests or connections in flight.', rows.map((r) => [base(r), r.active]));
  metric('fulcrum_backend_healthy', 'gauge', '1 when observed healthy and not ejected.', rows.map((r) => [base(r), r.healthy && !r.ejected ? 1 : 0]));
  metric('fulcrum_backend_latency_ewma_ms', 'gauge', 'Recent response latency (EWMA).', rows.map((r) => [base(r), Math.round(r.ewmaMs * 1000) / 1000]));
  metric('fulcrum_config_version', 'gauge', 'Config version in service.', [[{}, configVersion ?? 0]]);
  return `${lines.join('\n')}\n`;
}
