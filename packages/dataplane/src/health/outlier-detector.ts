import type { TDataplaneEvent } from '@fulcrum/protocol';
import type { PoolRuntime, RuntimeBackend } from '../runtime/pool-runtime';

/**
 * Passive health: N consecutive 5xx or connect errors eject a backend for a time that grows
 * with each ejection; never more than maxEjectionPercent of the pool is out at once.
 */
export class OutlierDetector {
  constructor(
    private readonly now: () => number,
    private readonly emit: (e: TDataplaneEvent) => void,
  ) {}

  success(b: RuntimeBackend): void {
    b.state.consecutiveErrors = 0;
  }

  failure(pool: PoolRuntime, b: RuntimeBackend, reason: string): void {
    const od = pool.config.outlierDetection;
    b.state.consecutiveErrors++;
    if (!od.enabled || b.state.consecutiveErrors < od.consecutiveErrors) return;
    const now = this.now();
    if (b.state.isEjected(now)) return;
    const ejected = pool.backends.filter((x) => x.state.isEjected(now)).length;
    if (((ejected + 1) / pool.backends.length) * 100 > od.maxEjectionPercent) return;
    const ms = b.state.eject(od.baseEjectionMs, now);
    this.emit({
      kind: 'ejection',
      severity: 'warning',
      poolId: pool.config.id,
      backendId: b.id,
      message: `${b.address} in ${pool.config.name} ejected for ${Math.round(ms / 1000)} s after ${od.consecutiveErrors} consecutive errors (last: ${reason})`,
      data: { ms, reason },
      ts: Date.now(),
    });
  }
}
