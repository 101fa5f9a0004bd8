import { getHub } from '../hub/dataplane-hub';

/** Until the backends have had nothing in flight for two seconds, or the pool's drain timeout. */
export async function waitDrained(poolId: string, ids: string[], timeoutMs: number, stopping: () => boolean): Promise<void> {
  const started = Date.now();
  const set = new Set(ids);
  while (Date.now() - started < timeoutMs && !stopping()) {
    await new Promise((r) => setTimeout(r, 250));
    const recent = getHub()?.stats.recent(poolId, 2) ?? [];
    const busy = recent.some((s) => Object.entries(s.backends).some(([id, p]) => set.has(id) && (p.activeConnections > 0 || p.requests > 0)));
    if (Date.now() - started >= 2000 && recent.length && !busy) return;
  }
}
