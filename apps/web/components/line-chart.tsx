'use client';

import { memo, useEffect, useRef, useState } from 'react';

/** One x position of a chart: its time and a value per series key (absent: a gap, never carried across). */
export type ChartRow = { ts: number } & Record<string, number | undefined>;

export interface ChartSeries {
  key: string;
  label: string;
  color: string;
  /** SVG stroke-dasharray, so series differ by more than colour. */
  dash?: string;
  width?: number;
}

/** A vertical line at a time: a config change or a health flip. */
export interface ChartMarkLine {
  ts: number;
  color: string;
  label?: string;
}

interface LineChartProps {
  title: string;
  rows: readonly ChartRow[];
  series: readonly ChartSeries[];
  /** The x range (ms), and where its labelled ticks go. */
  from: number;
  to: number;
  ticks: readonly number[];
  tickLabel: (ts: number) => string;
  marks: readonly ChartMarkLine[];
  /** Whole numbers only on the y axis (counts per second). */
  integers?: boolean;
}

const HEIGHT = 180;
const PAD = { top: 6, right: 8, bottom: 18, left: 38 };

/** A round upper bound for the y axis: 1, 2 or 5 times a power of ten. */
function niceMax(max: number, integers: boolean): number {
  if (!(max > 0)) return integers ? 4 : 1;
  const pow = 10 ** Math.floor(Math.log10(max));
  const top = [1, 2, 5, 10].map((m) => m * pow).find((v) => v >= max)!;
  return integers ? Math.max(4, Math.ceil(top)) : top;
}

const yLabel = (v: number) => (Number.isInteger(v) ? String(v) : v < 10 ? v.toFixed(1) : String(Math.round(v)));

/**
 * A line chart drawn as a few SVG paths built here: one `d` string per series, so a live update is
 * a handful of attribute changes (recharts re-rendered hundreds of elements per chart every
 * second, which cost the pool page ~20 % of a core). Gaps break the line. Hovering shows the
 * values at that second in the caption; nothing else re-renders on hover.
 */
export const LineChart = memo(function LineChart({ title, rows, series, from, to, ticks, tickLabel, marks, integers = false }: LineChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(400);
  const [hover, setHover] = useState<number | null>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(([entry]) => {
      const w = Math.round(entry?.contentRect.width ?? 0);
      if (w > 0) setWidth((old) => (old === w ? old : w));
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const plotW = Math.max(10, width - PAD.left - PAD.right);
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  let max = 0;
  for (const r of rows) for (const s of series) max = Math.max(max, r[s.key] ?? 0);
  const top = niceMax(max, integers);
  const span = Math.max(1, to - from);
  const x = (ts: number) => PAD.left + ((ts - from) / span) * plotW;
  const y = (v: number) => PAD.top + plotH - (v / top) * plotH;

  const paths = series.map((s) => {
    let d = '';
    let pen = false;
    for (const r of rows) {
      const v = r[s.key];
      if (v === undefined || r.ts < from) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${x(r.ts).toFixed(1)} ${y(v).toFixed(1)}`;
      pen = true;
    }
    return d;
  });
  const grid = [0, 0.25, 0.5, 0.75, 1].map((f) => top * f);
  const hovered = hover === null ? undefined : rows[hover];

  const onMove = (e: React.MouseEvent<SVGSVGElement>) => {
    if (rows.length === 0) return;
    const rect = e.currentTarget.getBoundingClientRect();
    const ts = from + ((e.clientX - rect.left - PAD.left) / plotW) * span;
    // Rows are one per second, oldest first: the nearest by time.
    let best = 0;
    for (let i = 1; i < rows.length; i++) if (Math.abs(rows[i]!.ts - ts) < Math.abs(rows[best]!.ts - ts)) best = i;
    setHover(best);
  };

  return (
    <figure className="chart" data-chart={title}>
      <figcaption>{title}</figcaption>
      <div ref={box} className="line-chart">
        <svg width={width} height={HEIGHT} role="img" aria-label={title} onMouseMove={onMove} onMouseLeave={() => setHover(null)}>
          <g className="chart-grid">
            {grid.map((v) => (
              <g key={v}>
                <line x1={PAD.left} x2={PAD.left + plotW} y1={y(v)} y2={y(v)} />
                <text className="chart-ytick" x={PAD.left - 4} y={y(v) + 3} textAnchor="end">
                  {yLabel(v)}
                </text>
              </g>
            ))}
            {ticks.map((t) => (
              <text key={t} className="chart-tick" x={x(t)} y={HEIGHT - 4} textAnchor="middle">
                {tickLabel(t)}
              </text>
            ))}
          </g>
          {marks.map((m, i) =>
            m.ts < from || m.ts > to ? null : (
              <g key={i} className="chart-markline">
                <line x1={x(m.ts)} x2={x(m.ts)} y1={PAD.top} y2={PAD.top + plotH} stroke={m.color} strokeDasharray="4 3" />
                {m.label && (
                  <text x={x(m.ts) + 2} y={PAD.top + 9} fill={m.color}>
                    {m.label}
                  </text>
                )}
              </g>
            ),
          )}
          {series.map((s, i) =>
            paths[i] ? <path key={s.key} className="chart-line" data-series={s.key} d={paths[i]} stroke={s.color} strokeDasharray={s.dash} strokeWidth={s.width ?? 1.5} fill="none" /> : null,
          )}
          {hovered && <line className="chart-cursor" x1={x(hovered.ts)} x2={x(hovered.ts)} y1={PAD.top} y2={PAD.top + plotH} />}
        </svg>
      </div>
      <ul className="chart-legend">
        {hovered && <li className="mono">{tickLabel(hovered.ts)}</li>}
        {series.map((s) => (
          <li key={s.key}>
            <span className="swatch" style={{ background: s.color }} />
            {s.label}
            {hovered && <span className="mono"> {hovered[s.key] === undefined ? '—' : yLabel(hovered[s.key]!)}</span>}
          </li>
        ))}
      </ul>
    </figure>
  );
});
