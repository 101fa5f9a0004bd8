export { Dataplane, type ApplyResult, type DataplaneOptions } from './dataplane';
export { createBalancer } from './balancing';
export { ControlPlaneClient, type ControlPlaneClientOptions } from './control-plane/control-plane-client';
export { LastGoodConfig } from './state/last-good-config';
