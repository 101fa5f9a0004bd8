/**
 * Reconnect delay with "full jitter" (AWS architecture blog): uniformly random between 0 and
 * min(cap, base * 2^attempt), so many data planes that lost the same control plane do not
 * come back in lockstep.
 */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  return random() * Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
}
