/** Weight units a canary step spreads over all backends: enough resolution for 1 % steps, under the 1000 cap. */
const TOTAL = 1000;

export interface WeightedBackend {
  id: string;
  weight: number;
}

/**
 * Weights that give the new version `percent` of the traffic, keeping each group's internal
 * proportions (a weight-2 backend still gets twice its sibling's share). Never below 1.
 */
export function canaryWeights(olds: WeightedBackend[], news: WeightedBackend[], percent: number): Map<string, number> {
  const out = new Map<string, number>();
  const spread = (group: WeightedBackend[], share: number) => {
    const sum = group.reduce((a, b) => a + b.weight, 0) || 1;
    for (const b of group) out.set(b.id, Math.min(TOTAL, Math.max(1, Math.round(((b.weight / sum) * share * TOTAL) / 100))));
  };
  spread(olds, 100 - percent);
  spread(news, percent);
  return out;
}

/** Algorithms that ignore weights, so a canary cannot shift traffic by weight on them. */
export const WEIGHT_BLIND_ALGORITHMS = ['round_robin', 'least_connections', 'ip_hash', 'least_response_time'];
