import { type TScalingMetric, clientErrorRate } from '@fulcrum/protocol';
import type { PoolSecond } from '../stats/stats-store';

/**
 * The rule's metric over some complete seconds of a pool's merged stats, or null without data.
 * Per-backend metrics divide by the backends in service (active admin state).
 */
export function metricValue(metric: TScalingMetric, seconds: PoolSecond[], backendIds: string[]): number | null {
  if (!seconds.length || !backendIds.length) return null;
  const ids = new Set(backendIds);
  let requests = 0;
  let failures = 0;
  let connections = 0;
  let p95 = 0;
  for (const s of seconds) {
    let worst = 0;
    for (const [id, p] of Object.entries(s.backends)) {
      if (!ids.has(id)) continue;
      requests += p.requests;
      failures += p.responses['5xx'] + p.errors.connect + p.errors.timeout + p.errors.reset;
      connections += p.activeConnections;
      if (p.requests > 0) worst = Math.max(worst, p.latencyMs.p95);
    }
    p95 += worst;
  }
  const n = seconds.length;
  switch (metric) {
    case 'rps_per_backend':
      return requests / n / ids.size;
    case 'active_connections_per_backend':
      return connections / n / ids.size;
    case 'p95_latency_ms':
      return p95 / n;
    case 'error_rate': {
      // What clients got, when every second carries it: a retried upstream failure is no error.
      if (seconds.every((x) => x.client)) {
        let responses = 0;
        let errors = 0;
        for (const x of seconds) {
          const r = x.client!.responses;
          responses += r['1xx'] + r['2xx'] + r['3xx'] + r['4xx'] + r['5xx'];
          errors += r['5xx'];
        }
        return clientErrorRate({ responses, responses5xx: errors });
      }
      return requests ? failures / requests : 0;
    }
    case 'cpu_percent':
      // Read from the provider (the instances' processes or containers), not from traffic.
      return null;
  }
}

export type TDecision = { action: 'up' | 'down'; to: number; reason: string } | { action: 'hold'; reason: string };

export interface DecideInput {
  value: number | null;
  now: number;
  current: number;
  breach: { direction: 'up' | 'down'; since: number } | null;
  lastActionAt: number | null;
  rule: { scaleUpThreshold: number; scaleDownThreshold: number; windowMs: number; minInstances: number; maxInstances: number; step: number; cooldownMs: number };
}

/**
 * One evaluation: bring the count inside min/max first; otherwise act only when the metric has
 * stayed past a threshold for the whole window and the cooldown since the last action is over.
 * Pure, so the rules are tested exactly.
 */
export function decide(input: DecideInput): { decision: TDecision; breach: DecideInput['breach'] } {
  const { value, now, current, rule } = input;
  if (current < rule.minInstances) return { decision: { action: 'up', to: rule.minInstances, reason: `below the minimum of ${rule.minInstances}` }, breach: null };
  if (current > rule.maxInstances) return { decision: { action: 'down', to: rule.maxInstances, reason: `above the maximum of ${rule.maxInstances}` }, breach: null };
  if (value === null) return { decision: { action: 'hold', reason: 'no stats' }, breach: null };
  const direction: 'up' | 'down' | null = value > rule.scaleUpThreshold ? 'up' : value < rule.scaleDownThreshold ? 'down' : null;
  if (!direction) return { decision: { action: 'hold', reason: 'within thresholds' }, breach: null };
  const breach: NonNullable<DecideInput['breach']> = input.breach?.direction === direction ? input.breach : { direction, since: now };
  if (now - breach.since < rule.windowMs) return { decision: { action: 'hold', reason: `${direction} breach held ${now - breach.since} of ${rule.windowMs} ms` }, breach };
  if (input.lastActionAt !== null && now - input.lastActionAt < rule.cooldownMs) return { decision: { action: 'hold', reason: 'cooling down' }, breach };
  const to = direction === 'up' ? Math.min(rule.maxInstances, current + rule.step) : Math.max(rule.minInstances, current - rule.step);
  if (to === current) return { decision: { action: 'hold', reason: direction === 'up' ? `at the maximum of ${rule.maxInstances}` : `at the minimum of ${rule.minInstances}` }, breach };
  const threshold = direction === 'up' ? rule.scaleUpThreshold : rule.scaleDownThreshold;
  return {
    decision: { action: direction, to, reason: `${value.toFixed(2)} ${direction === 'up' ? 'above' : 'below'} ${threshold} for ${Math.round((now - breach.since) / 1000)} s` },
    breach: null,
  };
}
