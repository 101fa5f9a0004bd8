/**
 * Turns cumulative CPU counters into a percentage of one core between two samples, per instance.
 * The first sample of an instance gives nothing (there is no interval yet); a counter that went
 * backwards (a process of the group exited and took its time with it) counts as no use.
 */
export class CpuSampler {
  private readonly last = new Map<string, { cpuMs: number; at: number }>();

  /** `cpuMs` is the instance's total CPU time so far; `at` the wall clock of the reading in ms. */
  sample(id: string, cpuMs: number, at: number): number | null {
    const prev = this.last.get(id);
    this.last.set(id, { cpuMs, at });
    if (!prev || at <= prev.at) return null;
    return (Math.max(0, cpuMs - prev.cpuMs) / (at - prev.at)) * 100;
  }

  /** Forgets instances that are gone, so a reused id starts afresh. */
  keepOnly(ids: Iterable<string>): void {
    const keep = new Set(ids);
    for (const id of this.last.keys()) if (!keep.has(id)) this.last.delete(id);
  }
}

/** The mean of the values that exist, or null when none does. */
export function averageOf(values: (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length ? known.reduce((a, b) => a + b, 0) / known.length : null;
}
