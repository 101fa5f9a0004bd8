import type { TAlgorithm } from '@fulcrum/protocol';
import type { Balancer, BalancerBackend, BalancerDeps, BalancerFactory } from './balancer';
import { consistentHash } from './consistent-hash';
import { ipHash } from './ip-hash';
import { leastConnections } from './least-connections';
import { leastResponseTime } from './least-response-time';
import { powerOfTwoChoices } from './power-of-two-choices';
import { weightedRandom } from './random';
import { roundRobin } from './round-robin';
import { smoothWeightedRoundRobin } from './smooth-weighted-round-robin';
import { weightedLeastConnections } from './weighted-least-connections';

export type { Balancer, BalancerBackend, BalancerDeps, BalancerFactory, LoadView, SelectionContext, TAlgorithm } from './balancer';
export { consistentHash, ipHash, leastConnections, leastResponseTime, powerOfTwoChoices, roundRobin, smoothWeightedRoundRobin, weightedLeastConnections, weightedRandom };

/** The factory for an algorithm; the switch is exhaustive, so a new TAlgorithm fails typecheck here until it has one. */
export function balancerFactory(algorithm: TAlgorithm): BalancerFactory {
  switch (algorithm) {
    case 'round_robin':
      return roundRobin;
    case 'weighted_round_robin':
      return smoothWeightedRoundRobin;
    case 'least_connections':
      return leastConnections;
    case 'weighted_least_connections':
      return weightedLeastConnections;
    case 'ip_hash':
      return ipHash;
    case 'least_response_time':
      return leastResponseTime;
    case 'consistent_hash':
      return consistentHash;
    case 'p2c':
      return powerOfTwoChoices;
    case 'random':
      return weightedRandom;
    default: {
      const unknown: never = algorithm;
      throw new Error(`unknown balancing algorithm: ${String(unknown)}`);
    }
  }
}

export function createBalancer(algorithm: TAlgorithm, backends: readonly BalancerBackend[], deps: BalancerDeps): Balancer {
  return balancerFactory(algorithm)(backends, deps);
}
