export { appRouter, createCaller, type AppRouter } from './root';
export { createContext, type CreateContextOptions } from './context';
export { createRestHandler, generateOpenApi, REST_BASE } from './rest';
export { AppError, HTTP_STATUS } from './errors';
export type { Actor, Context } from './trpc';
export { getCurrentSnapshot, getRevision } from './services/revisions/revisions';
export { actorFromApiToken, createApiToken } from './services/tokens/api-tokens';
export { recordEvent } from './services/events/events';
export { headersFromNode } from './node-headers';
