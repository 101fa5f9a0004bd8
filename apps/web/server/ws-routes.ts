import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

// Kept on globalThis: Next's bundle and the custom server load separate copies of modules.
const store = globalThis as unknown as { __fulcrumWsRoutes?: Map<string, UpgradeHandler> };
const routes = (store.__fulcrumWsRoutes ??= new Map());

/** Plugs a WebSocket endpoint under /ws/ into the server (the data-plane hub, for one). */
export function registerWsRoute(path: string, handler: UpgradeHandler): void {
  routes.set(path, handler);
}

export function unregisterWsRoute(path: string): void {
  routes.delete(path);
}

export function findWsRoute(path: string): UpgradeHandler | undefined {
  return routes.get(path);
}
