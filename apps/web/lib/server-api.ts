import type { AppRouter, Context } from '@fulcrum/api';

/**
 * The API as the custom server lends it to the pages it renders: the router and the context a
 * request with these headers would get over HTTP (its session, its role), so a server component
 * calls the same procedures with the same rules as the browser. Next bundles the pages apart from
 * the server's own modules (and without the database driver), so they meet on globalThis, as the
 * hub does; `next build` has none and renders no data.
 */
export interface ServerApi {
  router: AppRouter;
  context(headers: Headers): Promise<Context>;
}

const store = globalThis as unknown as { __fulcrumServerApi?: ServerApi };

export function setServerApi(api: ServerApi | undefined): void {
  store.__fulcrumServerApi = api;
}

export function getServerApi(): ServerApi | undefined {
  return store.__fulcrumServerApi;
}
