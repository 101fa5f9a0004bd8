'use client';

import { useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { type LivePoint, type LiveSecond, type THistoryRange, usePoolHistory } from '../lib/live-stats';
import { historyRates } from '../lib/traffic-rates';

type TRange = '5m' | THistoryRange;

const RANGES: { value: TRange; label: string; ms: number; tickMs: number }[] = [
  { value: '5m', label: '5 min live', ms: 5 * 60_000, tickMs: 60_000 },
  { value: '1h', label: '1 h', ms: 3600_000, tickMs: 10 * 60_000 },
  { value: '24h', label: '24 h', ms: 86_400_000, tickMs: 4 * 3600_000 },
];

const COLORS = ['#4aa3ff', '#3fb950', '#d29922', '#f85149', '#a371f7', '#39c5cf', '#ff7b72', '#e3b341'];

function Chart({ title, data, series, range }: { title: string; data: Record<string, number>[]; series: { key: string; label: string }[]; range: TRange }) {
  const { ms, tickMs } = RANGES.find((r) => r.value === range)!;
  // The axis spans the whole range up to the newest point (the server's clock, not the browser's),
  // so a pool with ten minutes of history shows it at the right end of the day.
  const newest = data[data.length - 1]?.ts ?? 0;
  const ticks: number[] = [];
  for (let t = Math.ceil((newest - ms) / tickMs) * tickMs; t <= newest; t += tickMs) ticks.push(t);
  const time = (ts: number) => new Date(ts).toLocaleTimeString([], range === '5m' ? { minute: '2-digit', second: '2-digit' } : { hour: '2-digit', minute: '2-digit' });
  return (
    <figure className="chart" data-chart={title}>
      <figcaption>{title}</figcaption>
      <ResponsiveContainer width="100%" height={180}>
        <LineChart data={data} margin={{ top: 4, right: 8, bottom: 0, left: -16 }}>
          <CartesianGrid stroke="#8b97a3" strokeOpacity={0.3} strokeDasharray="3 3" />
          <XAxis dataKey="ts" type="number" domain={[newest - ms, newest]} ticks={ticks} tickFormatter={time} stroke="#8b97a3" fontSize={11} />
          <YAxis stroke="#8b97a3" fontSize={11} allowDecimals={range !== '5m'} />
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

/** The live five minutes, per second: requests/s and connections per backend, latency percentiles, errors by kind. */
function LiveRange({ seconds, names }: { seconds: LiveSecond[]; names: Record<string, string> }) {
  if (!seconds.some((s) => Object.keys(s.backends).length > 0)) return <p className="muted">No traffic data yet: stats appear once a data plane serves this pool.</p>;
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
      <Chart range="5m" title="Requests/s per backend" data={rps} series={perBackend} />
      <Chart range="5m" title="Latency (ms)" data={latency} series={[{ key: 'p50', label: 'p50' }, { key: 'p95', label: 'p95' }, { key: 'p99', label: 'p99' }]} />
      <Chart range="5m" title="Errors/s by kind" data={errors} series={['5xx', 'connect', 'timeout', 'reset'].map((k) => ({ key: k, label: k }))} />
      <Chart range="5m" title="Active connections" data={active} series={perBackend} />
    </div>
  );
}

/** An hour or a day from the stored rollups, as the pool's totals per second. */
function HistoryRange({ poolId, range }: { poolId: string; range: THistoryRange }) {
  const history = usePoolHistory(poolId, range);
  if (history.isLoading) return <p className="muted">Loading history…</p>;
  if (history.error) return <p className="error">{history.error.message}</p>;
  const points = historyRates(history.data?.points ?? [], history.data?.resolutionSeconds ?? 1);
  if (points.length === 0) return <p className="muted">No stored history yet: the control plane keeps traffic in 10-second rollups once a data plane serves this pool.</p>;
  return (
    <div className="charts">
      <Chart range={range} title="Requests/s" data={points} series={[{ key: 'rps', label: 'requests/s' }]} />
      <Chart range={range} title="p99 latency (ms)" data={points} series={[{ key: 'p99', label: 'worst backend p99' }]} />
      <Chart range={range} title="Errors/s" data={points} series={[{ key: '5xx', label: '5xx' }, { key: 'connection', label: 'connect/timeout/reset' }]} />
      <Chart range={range} title="Active connections (peak)" data={points} series={[{ key: 'active', label: 'active connections' }]} />
    </div>
  );
}

/** A pool's traffic: the live five minutes, or the last hour or day from stored history. */
export function LiveCharts({ poolId, seconds, names }: { poolId: string; seconds: LiveSecond[]; names: Record<string, string> }) {
  const [range, setRange] = useState<TRange>('5m');
  return (
    <>
      <div className="segmented" role="group" aria-label="Time range">
        {RANGES.map((r) => (
          <button key={r.value} type="button" aria-pressed={range === r.value} onClick={() => setRange(r.value)}>
            {r.label}
          </button>
        ))}
      </div>
      {range === '5m' ? <LiveRange seconds={seconds} names={names} /> : <HistoryRange poolId={poolId} range={range} />}
    </>
  );
}
