'use client';

import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { LivePoint } from '../lib/live-stats';

const COLORS = ['#4aa3ff', '#3fb950', '#d29922', '#f85149', '#a371f7', '#39c5cf', '#ff7b72', '#e3b341'];
const time = (ts: number) => new Date(ts).toLocaleTimeString([], { minute: '2-digit', second: '2-digit' });

function Chart({ title, data, series, unit }: { title: string; data: Record<string, number>[]; series: { key: string; label: string }[]; unit?: string }) {
  return (
    <figure className="chart" data-chart={title}>
      <figcaption>{title}</figcaption>
      <ResponsiveContainer width="100%" height={180}>
        <LineChart data={data} margin={{ top: 4, right: 8, bottom: 0, left: -16 }}>
          <CartesianGrid stroke="#8b97a3" strokeOpacity={0.3} strokeDasharray="3 3" />
          <XAxis dataKey="ts" tickFormatter={time} stroke="#8b97a3" fontSize={11} minTickGap={40} />
          <YAxis stroke="#8b97a3" fontSize={11} unit={unit} allowDecimals={false} />
          <Tooltip labelFormatter={(v) => time(Number(v))} contentStyle={{ background: 'var(--panel)', border: '1px solid var(--border)', color: 'var(--text)' }} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          {series.map((s, i) => (
            <Line key={s.key} type="monotone" dataKey={s.key} name={s.label} stroke={COLORS[i % COLORS.length]} dot={false} isAnimationActive={false} />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </figure>
  );
}

/** Requests/s per backend, latency percentiles, errors by kind and active connections, per second. */
export function LiveCharts({ seconds, names }: { seconds: { ts: number; backends: Record<string, LivePoint> }[]; names: Record<string, string> }) {
  if (seconds.length === 0) return <p className="muted">No traffic data yet: stats appear once a data plane serves this pool.</p>;
  const ids = Object.keys(names);
  const rps = seconds.map((s) => ({ ts: s.ts, ...Object.fromEntries(ids.map((id) => [id, s.backends[id]?.requests ?? 0])) }));
  const latency = seconds.map((s) => {
    const pts = Object.values(s.backends);
    return { ts: s.ts, p50: Math.max(0, ...pts.map((p) => p.latencyMs.p50)), p95: Math.max(0, ...pts.map((p) => p.latencyMs.p95)), p99: Math.max(0, ...pts.map((p) => p.latencyMs.p99)) };
  });
  const errors = seconds.map((s) => {
    const pts = Object.values(s.backends);
    const sum = (f: (p: LivePoint) => number) => pts.reduce((a, p) => a + f(p), 0);
    return { ts: s.ts, '5xx': sum((p) => p.responses['5xx']), connect: sum((p) => p.errors.connect), timeout: sum((p) => p.errors.timeout), reset: sum((p) => p.errors.reset) };
  });
  const active = seconds.map((s) => ({ ts: s.ts, ...Object.fromEntries(ids.map((id) => [id, s.backends[id]?.activeConnections ?? 0])) }));
  const perBackend = ids.map((id) => ({ key: id, label: names[id]! }));
  return (
    <div className="charts">
      <Chart title="Requests/s per backend" data={rps} series={perBackend} />
      <Chart title="Latency (ms)" data={latency} series={[{ key: 'p50', label: 'p50' }, { key: 'p95', label: 'p95' }, { key: 'p99', label: 'p99' }]} />
      <Chart title="Errors/s by kind" data={errors} series={['5xx', 'connect', 'timeout', 'reset'].map((k) => ({ key: k, label: k }))} />
      <Chart title="Active connections" data={active} series={perBackend} />
    </div>
  );
}
