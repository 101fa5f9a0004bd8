import { type TPoolClientStats, type TProxyCause, emptyClientStats } from '@fulcrum/protocol';
import { statusClass } from './backend-stats';
import { LatencyHistogram } from './latency-histogram';

function zeroClient() {
  const { latency: _, ...counters } = emptyClientStats();
  return counters;
}
export type ClientCounters = ReturnType<typeof zeroClient>;

/**
 * What one pool's clients got: every response the pool sent (relayed from a backend or the
 * proxy's own error), client connections, retries and bytes, and the total time clients waited.
 * Kept per pool id across config changes, like BackendState; counted where a response to the
 * client finishes, never per upstream attempt, so a retried failure that ended well is no error.
 */
export class PoolStats {
  interval = zeroClient();
  readonly totals = zeroClient();
  private readonly latency = new LatencyHistogram();
  readonly latencyTotals = new LatencyHistogram();

  /**
   * One exchange with a client is over. `status` is what the client got (0: nothing, it left
   * first); `cause` is set when the proxy answered itself; `complete` is false when the client
   * left before the answer ended.
   */
  clientResponse(status: number, cause: TProxyCause | undefined, latencyMs: number, bytesIn: number, bytesOut: number, complete = true): void {
    if (status > 0) {
      const cls = statusClass(status);
      this.interval.responses[cls]++;
      this.totals.responses[cls]++;
      if (cause) {
        this.interval.proxyResponses[cause] = (this.interval.proxyResponses[cause] ?? 0) + 1;
        this.totals.proxyResponses[cause] = (this.totals.proxyResponses[cause] ?? 0) + 1;
      }
      this.latency.recordWith(this.latencyTotals, latencyMs);
    }
    if (!complete) {
      this.interval.connections.reset++;
      this.totals.connections.reset++;
    }
    this.interval.bytesIn += bytesIn;
    this.interval.bytesOut += bytesOut;
    this.totals.bytesIn += bytesIn;
    this.totals.bytesOut += bytesOut;
  }

  /** The proxy answered before any request reached the pool's handler (400, 408, 431 on the connection). */
  proxyAnswer(status: number, cause: TProxyCause): void {
    this.clientResponse(status, cause, 0, 0, 0);
  }

  connectionAccepted(): void {
    this.interval.connections.accepted++;
    this.totals.connections.accepted++;
  }

  connectionRefused(): void {
    this.interval.connections.refused++;
    this.totals.connections.refused++;
  }

  retry(): void {
    this.interval.retries++;
    this.totals.retries++;
  }

  /** The interval's counters and latency histogram; starts the next interval. */
  flush(): TPoolClientStats {
    const out = { ...this.interval, latency: this.latency.toJSON() };
    this.interval = zeroClient();
    this.latency.reset();
    return out;
  }
}
