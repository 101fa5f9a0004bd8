import type { TAlgorithm } from '@fulcrum/protocol';
import type { Balancer, BalancerBackend, BalancerDeps, BalancerFactory } from './balancer';
import { consistentHash } from './consistent-hash';
import { ipHash } from './ip-hash';
import { leastConnections, weightedLeastConnections } from './least-connections';
import { leastResponseTime } from './least-response-time';
import { powerOfTwoChoices } from './power-of-two-choices';
import { weightedRandom } from './random';
import { roundRobin } from './round-robin';
import { smoothWeightedRoundRobin } from './smooth-weighted-round-robin';

export type { Balancer, BalancerBackend, BalancerDeps, BalancerFactory, LoadView, SelectionContext } from './balancer';

const FACTORIES: Record<TAlgorithm, BalancerFactory> = {
  round_robin: roundRobin,
  weighted_round_robin: smoothWeightedRoundRobin,
  least_connections: leastConnections,
  weighted_least_connections: weightedLeastConnections,
  ip_hash: ipHash,
  least_response_time: leastResponseTime,
  consistent_hash: consistentHash,
  p2c: powerOfTwoChoices,
  random: weightedRandom,
};

export function createBalancer(algorithm: TAlgorithm, backends: readonly BalancerBackend[], deps: BalancerDeps): Balancer {
  return FACTORIES[algorithm](backends, deps);
}
