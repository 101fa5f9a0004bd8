import type { TAlgorithm, THashKey } from '@fulcrum/protocol';

/** A backend as the balancers see it: immutable for the life of one runtime. */
export interface BalancerBackend {
  readonly id: string;
  /** Index in the pool's backend list; stable for the life of one runtime. */
  readonly index: number;
  /** Configured weight (>= 1). */
  readonly weight: number;
}

/** Live load, owned by the proxy and read by the load-aware algorithms. */
export interface LoadView {
  /** Requests / connections in flight on this backend. */
  active(backend: BalancerBackend): number;
  /** EWMA of response latency in ms; 0 when nothing is known yet. */
  latencyEwma(backend: BalancerBackend): number;
  /** Weight in effect now (slow start ramps it from a fraction up to `weight`). */
  effectiveWeight(backend: BalancerBackend): number;
}

/** What the algorithms may key on, taken from the request once. */
export interface SelectionContext {
  readonly clientIp: string;
  /** The value of the pool's hash key (header, cookie, path or client IP), already extracted. */
  readonly hashKey: string;
}

/**
 * Pingora's `select_with`: the balancer proposes candidates in its order of preference and the
 * caller's `accept` says whether one may take the request (healthy, enabled, under its
 * connection limit, not already tried). Returns the first accepted backend, or undefined.
 */
export interface Balancer {
  select(ctx: SelectionContext, accept: (backend: BalancerBackend) => boolean): BalancerBackend | undefined;
}

export interface BalancerDeps {
  /** Uniform in [0, 1). */
  random: () => number;
  /** Milliseconds, monotonic. */
  now: () => number;
  load: LoadView;
  hashKey: THashKey;
}

export type BalancerFactory = (backends: readonly BalancerBackend[], deps: BalancerDeps) => Balancer;
export type { TAlgorithm };
