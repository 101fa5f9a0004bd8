// The one chooser every suite uses (packages/test-support).
export { freePort, freePortRange } from '@fulcrum/test-support';
