'use client';

import { memo, useMemo, useState } from 'react';
import { PROXY_CAUSE_LABEL, type TProxyCause, ZProxyCause, clientErrorRate } from '@fulcrum/protocol';
import { type TChartMark, markColor, useChartMarks } from '../lib/chart-marks';
import { clockTime } from '../lib/freshness';
import { type Freshness, type LiveSecond, type THistoryRange, usePoolHistory } from '../lib/live-stats';
import { type TimelineSecond, withGaps } from '../lib/live-window';
import { historyRates } from '../lib/traffic-rates';
import { ChartMarksList } from './chart-marks-list';
import { HealthTimeline } from './health-timeline';
import { type ChartRow, LineChart } from './line-chart';
import { Skeleton } from './skeleton';

type TRange = '5m' | THistoryRange;

const RANGES: { value: TRange; label: string; ms: number; tickMs: number }[] = [
  { value: '5m', label: '5 min live', ms: 5 * 60_000, tickMs: 60_000 },
  { value: '1h', label: '1 h', ms: 3600_000, tickMs: 10 * 60_000 },
  { value: '24h', label: '24 h', ms: 86_400_000, tickMs: 4 * 3600_000 },
];

const COLORS = ['#4aa3ff', '#3fb950', '#d29922', '#a371f7', '#39c5cf', '#e3b341', '#8b97a3'];
/** Colours by meaning where a series has one: errors red, latency percentiles from light to dark. */
const MEANING: Record<string, string> = { '2xx': '#3fb950', '3xx': '#39c5cf', '4xx': '#d29922', '5xx': '#f85149', p50: '#4aa3ff', p95: '#a371f7', p99: '#f85149' };

/** Percentiles also differ by dash, for readers who cannot tell the colours apart. */
const DASH: Record<string, string> = { p50: '2 3', p95: '7 3' };

type Series = { key: string; label: string; color?: string };

/** Which side of the traffic a set of charts shows: what clients got, or the upstream attempts behind it. */
export type TChartSide = 'client' | 'upstream';

const LATENCY_SERIES: Series[] = [
  { key: 'p50', label: 'p50' },
  { key: 'p95', label: 'p95' },
  { key: 'p99', label: 'p99' },
];
/** All client responses (the live window and the rollups name the count differently) and the 5xx among them. */
const responseSeries = (key: string, label: string): Series[] => [
  { key, label, color: '#4aa3ff' },
  { key: '5xx', label: '5xx' },
];

const timeOf = (range: TRange) => (range === '24h' ? (ts: number) => clockTime(ts).slice(0, 5) : clockTime);
const TIME_LABEL: Record<TRange, (ts: number) => string> = { '5m': timeOf('5m'), '1h': timeOf('1h'), '24h': timeOf('24h') };

/** `counts`: per-second counts, whole numbers on the live axis. */
function Chart({ title, data, series, range, marks, counts = false }: { title: string; data: readonly ChartRow[]; series: Series[]; range: TRange; marks: TChartMark[]; counts?: boolean }) {
  const { ms, tickMs } = RANGES.find((r) => r.value === range)!;
  // The axis spans the whole range up to the newest point (the server's clock, not the browser's),
  // so a pool with ten minutes of history shows it at the right end of the day.
  const newest = data[data.length - 1]?.ts ?? 0;
  const ticks: number[] = [];
  for (let t = Math.ceil((newest - ms) / tickMs) * tickMs; t <= newest; t += tickMs) ticks.push(t);
  const lines = useMemo(() => marks.map((m) => ({ ts: m.ts, color: markColor(m), label: m.kind === 'revision' ? `r${m.version}` : undefined })), [marks]);
  const drawn = series.map((s, i) => ({ key: s.key, label: s.label, color: s.color ?? MEANING[s.key] ?? COLORS[i % COLORS.length]!, dash: DASH[s.key], width: s.key === 'p99' ? 2 : 1.5 }));
  return <LineChart title={title} rows={data} series={drawn} from={newest - ms} to={newest} ticks={ticks} tickLabel={TIME_LABEL[range]} marks={lines} integers={counts && range === '5m'} />;
}

/** A timeline second's values, or nothing for a gap (the chart breaks the line there). */
function row(t: TimelineSecond, values: (s: LiveSecond) => Record<string, number>): ChartRow {
  return t.data ? { ts: t.ts, ...values(t.data) } : { ts: t.ts };
}

/**
 * The live five minutes, per second, every second of it (gaps where no data plane reported). The
 * client side: what clients got (responses by class, error rate, the proxy's own answers by cause,
 * latency from the merged histogram). The upstream side, apart from it: attempts per backend,
 * failed attempts and retries, active connections. Only the side on screen is computed and drawn.
 */
const LiveRange = memo(function LiveRange({ side, seconds, untilTs, names, marks }: { side: TChartSide; seconds: LiveSecond[]; untilTs: number; names: Record<string, string>; marks: TChartMark[] }) {
  if (!seconds.some((s) => Object.keys(s.backends).length > 0 || s.traffic)) return <p className="muted">No traffic data yet: stats appear once a data plane serves this pool.</p>;
  const timeline = withGaps(seconds, untilTs);
  if (side === 'client') {
    const causes = ZProxyCause.options.filter((c) => seconds.some((s) => (s.traffic?.causes[c] ?? 0) > 0));
    const responses = timeline.map((t) => row(t, (s) => ({ responses: s.traffic?.responses ?? 0, '5xx': s.traffic?.responses5xx ?? 0 })));
    const errorRate = timeline.map((t) => row(t, (s) => ({ errorPct: s.traffic ? Math.round(clientErrorRate(s.traffic) * 1000) / 10 : 0 })));
    const byCause = timeline.map((t) => row(t, (s) => Object.fromEntries(causes.map((c) => [c, s.traffic?.causes[c] ?? 0]))));
    const latency = timeline.map((t) => row(t, (s) => ({ p50: s.traffic?.p50Ms ?? 0, p95: s.traffic?.p95Ms ?? 0, p99: s.traffic?.p99Ms ?? 0 })));
    return (
      <div className="charts">
        <Chart counts marks={marks} range="5m" title="Client responses/s" data={responses} series={responseSeries('responses', 'all')} />
        <Chart marks={marks} range="5m" title="Client error rate (%: 5xx / responses, per second)" data={errorRate} series={[{ key: 'errorPct', label: 'errors %', color: '#f85149' }]} />
        <Chart counts marks={marks} range="5m" title="Proxy's own answers/s by cause" data={byCause} series={causes.map((c) => ({ key: c, label: PROXY_CAUSE_LABEL[c as TProxyCause] }))} />
        <Chart marks={marks} range="5m" title="Client latency (ms, merged histogram)" data={latency} series={LATENCY_SERIES} />
      </div>
    );
  }
  const ids = Object.keys(names);
  const attempts = timeline.map((t) => row(t, (s) => Object.fromEntries(ids.map((id) => [id, s.backends[id]?.requests ?? 0]))));
  const failed = timeline.map((t) =>
    row(t, (s) => ({
      ...Object.fromEntries(ids.map((id) => [id, (s.backends[id]?.errors.connect ?? 0) + (s.backends[id]?.errors.timeout ?? 0) + (s.backends[id]?.errors.reset ?? 0)])),
      retries: s.traffic?.retries ?? 0,
    })),
  );
  const active = timeline.map((t) => row(t, (s) => Object.fromEntries(ids.map((id) => [id, s.backends[id]?.activeConnections ?? 0]))));
  const perBackend = ids.map((id) => ({ key: id, label: names[id]! }));
  return (
    <div className="charts">
      <Chart counts marks={marks} range="5m" title="Upstream attempts/s per backend (retries included)" data={attempts} series={perBackend} />
      <Chart
        counts
        marks={marks}
        range="5m"
        title="Failed upstream attempts/s (retried or not) and retries"
        data={failed}
        series={[...perBackend, { key: 'retries', label: 'retries', color: '#8b97a3' }]}
      />
      <Chart counts marks={marks} range="5m" title="Active connections" data={active} series={perBackend} />
    </div>
  );
});

/** An hour or a day from the stored rollups, as the pool's totals per second (one side of them). */
function HistoryRange({ side, poolId, range, marks }: { side: TChartSide; poolId: string; range: THistoryRange; marks: TChartMark[] }) {
  const history = usePoolHistory(poolId, range);
  if (history.isLoading) return <Skeleton label="Loading history" lines={4} />;
  if (history.error) return <p className="error">{history.error.message}</p>;
  const points = historyRates(history.data?.points ?? [], history.data?.resolutionSeconds ?? 1);
  if (points.length === 0) return <p className="muted">No stored history yet: the control plane keeps traffic in 10-second rollups once a data plane serves this pool.</p>;
  if (side === 'upstream') {
    return (
      <div className="charts">
        <Chart
          marks={marks}
          range={range}
          title="Failed upstream attempts/s and retries"
          data={points}
          series={[
            { key: 'upstream', label: 'failed attempts', color: '#d29922' },
            { key: 'retries', label: 'retries', color: '#8b97a3' },
          ]}
        />
        <Chart marks={marks} range={range} title="Active connections (peak)" data={points} series={[{ key: 'active', label: 'active connections' }]} />
      </div>
    );
  }
  return (
    <div className="charts">
      <Chart marks={marks} range={range} title="Client responses/s" data={points} series={responseSeries('rps', 'responses/s')} />
      <Chart marks={marks} range={range} title="Client error rate (%)" data={points} series={[{ key: 'errorPct', label: 'errors %', color: '#f85149' }]} />
      <Chart marks={marks} range={range} title="Client latency (ms)" data={points} series={LATENCY_SERIES} />
    </div>
  );
}

/**
 * A pool's traffic, one side of it (`client`: what clients got, on the pool's overview;
 * `upstream`: attempts per backend with the health timeline, beside the backends): the live five
 * minutes, or the last hour or day from stored history.
 */
export function LiveCharts({
  side,
  poolId,
  seconds,
  untilTs,
  names,
  freshness,
}: {
  side: TChartSide;
  poolId: string;
  seconds: LiveSecond[];
  untilTs: number;
  names: Record<string, string>;
  freshness: Freshness;
}) {
  const [range, setRange] = useState<TRange>('5m');
  const marks = useChartMarks(poolId, range).data ?? [];
  return (
    <>
      {/* biome-ignore lint/a11y/useSemanticElements: a segmented toggle of buttons (aria-pressed), not form fields */}
      <div className="segmented" role="group" aria-label="Time range">
        {RANGES.map((r) => (
          <button key={r.value} type="button" aria-pressed={range === r.value} onClick={() => setRange(r.value)}>
            {r.label}
          </button>
        ))}
      </div>
      {range === '5m' ? (
        <div className={freshness.stale ? 'stale' : undefined} data-stale={freshness.stale || undefined}>
          {side === 'upstream' && <HealthTimeline poolId={poolId} names={names} />}
          <LiveRange side={side} seconds={seconds} untilTs={untilTs} names={names} marks={marks} />
        </div>
      ) : (
        <HistoryRange side={side} poolId={poolId} range={range} marks={marks} />
      )}
      <ChartMarksList marks={marks} names={names} />
    </>
  );
}
