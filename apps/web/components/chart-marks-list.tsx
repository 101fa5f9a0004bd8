'use client';

import Link from 'next/link';
import { clockTime } from '../lib/freshness';
import type { TChartMark } from '../lib/chart-marks';

/** The marks drawn on the charts, in words, each revision a link to its diff. */
export function ChartMarksList({ marks, names }: { marks: TChartMark[]; names: Record<string, string> }) {
  if (marks.length === 0) return null;
  return (
    // biome-ignore lint/a11y/useSemanticElements: a list of chart annotations, not form fields
    <div className="chart-marks" role="group" aria-label="Changes on the charts">
      {marks.map((m, i) =>
        m.kind === 'revision' ? (
          <Link key={`r${m.version}`} className="mark-revision" data-mark="revision" href={`/revisions?diff=${m.version}`} title={m.label}>
            ┆ {clockTime(m.ts)} revision {m.version}
          </Link>
        ) : (
          <span key={`h${i}`} className={`mark-${m.state}`} data-mark={m.state} title={m.label}>
            ┆ {clockTime(m.ts)} {m.backendId ? (names[m.backendId] ?? 'a backend') : 'a backend'} {m.state}
          </span>
        ),
      )}
    </div>
  );
}
