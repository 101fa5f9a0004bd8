'use client';

import { clockTime } from '../lib/freshness';
import { useHealthTimeline } from '../lib/chart-marks';

const STATE_LABEL: Record<string, string> = { healthy: 'healthy', unhealthy: 'down', ejected: 'ejected', unknown: 'not checked yet', no_data: 'no data' };

/** One bar per backend over the live five minutes, coloured by health; a gap where nobody reported. */
export function HealthTimeline({ poolId, names }: { poolId: string; names: Record<string, string> }) {
  const timeline = useHealthTimeline(poolId);
  const t = timeline.data;
  if (!t) return null;
  const span = t.to - t.from;
  return (
    <figure className="chart" data-chart="Backend health">
      <figcaption>
        Backend health, {clockTime(t.from)}–{clockTime(t.to)}
      </figcaption>
      <div className="health-timeline">
        {Object.entries(t.backends).map(([id, segments]) => (
          <div key={id} style={{ display: 'contents' }}>
            <span className="mono">{names[id] ?? id}</span>
            <div className="bar" data-health-timeline={names[id] ?? id}>
              {segments.map((s) => (
                <span
                  key={s.from}
                  className={`seg-${s.state}`}
                  data-state={s.state}
                  style={{ width: `${((s.to - s.from) / span) * 100}%` }}
                  title={`${STATE_LABEL[s.state]} ${clockTime(s.from)}–${clockTime(s.to)}`}
                />
              ))}
            </div>
          </div>
        ))}
      </div>
    </figure>
  );
}
