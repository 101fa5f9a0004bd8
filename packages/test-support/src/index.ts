export { freePort, freePortRange } from './free-port';
export { TestPki, type TestLeaf, type LeafOptions } from './test-pki';
export { stopChild } from './stop-child';
export { accessRecord } from './access-record';
export { eventually, type TEventuallyResult } from './eventually';
