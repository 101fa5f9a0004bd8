import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** The WebSocket endpoints under /ws/ of one server (the data-plane hub, for one). */
export class WsRoutes {
  private readonly routes = new Map<string, UpgradeHandler>();

  register(path: string, handler: UpgradeHandler): () => void {
    this.routes.set(path, handler);
    return () => this.routes.delete(path);
  }

  find(path: string): UpgradeHandler | undefined {
    return this.routes.get(path);
  }
}
