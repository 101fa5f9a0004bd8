import { BackendStats } from '../stats/backend-stats';

const MAX_EJECTION_MULTIPLIER = 10;

/**
 * What the data plane knows about a backend beyond its config: load, observed health, outlier
 * ejection, counters. Keyed by backend id and carried from one runtime to the next, so a
 * config change never resets health or connection counts for backends that stay.
 */
export class BackendState {
  active = 0;
  ewmaMs = 0;
  /** Observed health (admin state is separate, in the config). Starts healthy until checks say otherwise. */
  healthy = true;
  healthKnown = false;
  private okRun = 0;
  private failRun = 0;
  /** When it last became healthy, for slow start; 0 means no ramp. */
  healthySince = 0;
  ejectedUntil = 0;
  ejections = 0;
  consecutiveErrors = 0;
  readonly stats = new BackendStats();

  constructor(readonly id: string) {}

  /** A time to first byte, into the moving average with weight `alpha` for the newest sample (the first is taken as is). */
  recordLatency(ms: number, alpha: number): void {
    this.ewmaMs = this.ewmaMs === 0 ? ms : this.ewmaMs + alpha * (ms - this.ewmaMs);
  }

  /** An active check result; returns the new state when it flipped (after rise/fall in a row). */
  recordCheck(ok: boolean, rise: number, fall: number, now: number): 'healthy' | 'unhealthy' | undefined {
    if (ok) {
      this.failRun = 0;
      this.okRun++;
      if ((!this.healthy || !this.healthKnown) && this.okRun >= rise) {
        const flipped = !this.healthy;
        this.healthy = true;
        this.healthKnown = true;
        if (flipped) {
          this.healthySince = now;
          return 'healthy';
        }
      }
    } else {
      this.okRun = 0;
      this.failRun++;
      if ((this.healthy || !this.healthKnown) && this.failRun >= fall) {
        const flipped = this.healthy;
        this.healthy = false;
        this.healthKnown = true;
        if (flipped) return 'unhealthy';
      }
    }
    return undefined;
  }

  /**
   * Health another process checked (the cluster's health leader): taken as is, a return to
   * healthy starting slow start as a local flip would.
   */
  observeHealth(healthy: boolean, now: number): void {
    if (healthy && (!this.healthy || !this.healthKnown)) this.healthySince = now;
    this.healthy = healthy;
    this.healthKnown = true;
  }

  isEjected(now: number): boolean {
    return this.ejectedUntil > now;
  }

  /** Ejects for base × times ejected (capped); returns how long. */
  eject(baseMs: number, now: number): number {
    this.ejections = Math.min(this.ejections + 1, MAX_EJECTION_MULTIPLIER);
    const ms = baseMs * this.ejections;
    this.ejectedUntil = now + ms;
    this.consecutiveErrors = 0;
    return ms;
  }

  /** Weight in effect: ramps linearly from 10% to 100% over slowStartMs after becoming healthy. */
  effectiveWeight(weight: number, slowStartMs: number, now: number): number {
    if (slowStartMs <= 0 || this.healthySince === 0) return weight;
    const elapsed = now - this.healthySince;
    if (elapsed >= slowStartMs) return weight;
    return weight * Math.max(0.1, elapsed / slowStartMs);
  }
}
