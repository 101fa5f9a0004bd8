import { histogramPercentiles } from '@fulcrum/protocol';
import { LatencyHistogram } from './latency-histogram';

export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx';

const CLASSES: readonly StatusClass[] = ['1xx', '1xx', '2xx', '3xx', '4xx', '5xx'];

/** A status code's class ('2xx', ...); anything below 200 counts as 1xx and above 599 as 5xx. */
export function statusClass(status: number): StatusClass {
  return CLASSES[Math.min(5, Math.max(1, Math.floor(status / 100)))]!;
}
export type ErrorKind = 'connect' | 'timeout' | 'reset';

function zeroCounters() {
  return {
    requests: 0,
    responses: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 } as Record<StatusClass, number>,
    errors: { connect: 0, timeout: 0, reset: 0 } as Record<ErrorKind, number>,
    bytesIn: 0,
    bytesOut: 0,
  };
}
export type Counters = ReturnType<typeof zeroCounters>;

/**
 * One backend's upstream attempts: an interval (flushed once a second) and running totals (for
 * /metrics), latency included. What the pool's clients got is counted apart, in PoolStats.
 */
export class BackendStats {
  interval = zeroCounters();
  totals = zeroCounters();
  latency = new LatencyHistogram();
  readonly latencyTotals = new LatencyHistogram();

  request(): void {
    this.interval.requests++;
    this.totals.requests++;
  }

  response(status: number, latencyMs: number): void {
    const cls = statusClass(status);
    this.interval.responses[cls]++;
    this.totals.responses[cls]++;
    this.latency.recordWith(this.latencyTotals, latencyMs);
  }

  error(kind: ErrorKind): void {
    this.interval.errors[kind]++;
    this.totals.errors[kind]++;
  }

  bytes(inBytes: number, outBytes: number): void {
    this.interval.bytesIn += inBytes;
    this.interval.bytesOut += outBytes;
    this.totals.bytesIn += inBytes;
    this.totals.bytesOut += outBytes;
  }

  /** The interval's counters, latency histogram and the percentiles read from it; starts the next interval. */
  flush() {
    const latency = this.latency.toJSON();
    const out = { ...this.interval, latency, latencyMs: histogramPercentiles(latency) };
    this.interval = zeroCounters();
    this.latency.reset();
    return out;
  }
}
