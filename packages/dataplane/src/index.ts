export { Dataplane, type ApplyResult, type DataplaneOptions } from './dataplane';
export { createBalancer } from './balancing';
