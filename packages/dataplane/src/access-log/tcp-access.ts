import { performance } from 'node:perf_hooks';
import type { TAccessRecord, TTermination } from '@fulcrum/protocol';
import type { PoolRuntime } from '../runtime/pool-runtime';
import { logTime, roundMs } from './access-record';

/**
 * One TCP connection as the access log sees it, filled in as the connection goes and written
 * once when the client side closes. Made only when the pool's log or tail wants it.
 */
export class TcpAccess {
  private readonly t0 = performance.now();
  private started = 0;
  upstream = '';
  connectMs = -1;
  attempts = 0;
  bytesIn = 0;
  bytesOut = 0;
  termination: TTermination = 'normal';
  private done = false;

  constructor(
    private readonly pool: PoolRuntime,
    private readonly clientIp: string,
  ) {}

  attempt(address: string): void {
    this.upstream = address;
    this.attempts++;
    this.connectMs = -1;
    this.started = performance.now();
  }

  connected(): void {
    this.connectMs = performance.now() - this.started;
    // An earlier attempt's failure is not how this connection ends.
    this.termination = 'normal';
  }

  /** The client side closed: the line is written (once). */
  end(): void {
    if (this.done) return;
    this.done = true;
    const cfg = this.pool.config;
    const record: TAccessRecord = {
      time: logTime(),
      pool: cfg.name,
      poolId: cfg.id,
      clientIp: this.clientIp,
      method: '',
      host: '',
      path: '',
      status: 0,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      durationMs: roundMs(performance.now() - this.t0),
      upstream: this.upstream,
      connectMs: roundMs(this.connectMs),
      firstByteMs: -1,
      attempts: this.attempts,
      requestId: '',
      termination: this.termination,
      userAgent: '',
      referer: '',
    };
    this.pool.access?.record(cfg, record);
  }
}
