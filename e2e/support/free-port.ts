// The one chooser every suite uses (packages/test-support).
export { freePort } from '@fulcrum/test-support';
