export { main, USAGE } from './main';
export { RestClient } from './rest-client';
export { ApiError, UsageError } from './errors';
