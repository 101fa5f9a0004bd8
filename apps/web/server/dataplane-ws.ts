import type { DataplaneHub } from '@fulcrum/api';
import { DATAPLANE_WS_PATH } from '@fulcrum/protocol';
import { WebSocketServer } from 'ws';
import type { WsRoutes } from './ws-routes';

/**
 * Serves `/ws/dataplane`: the upgrade is completed, then the hub checks the token and closes a
 * connection that is not a data plane's with an application close code and the reason.
 */
export function mountDataplaneHub(hub: DataplaneHub, routes: WsRoutes): () => void {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 });
  const unregister = routes.register(DATAPLANE_WS_PATH, (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => hub.admit(ws, req.headers.authorization));
  });
  return () => {
    unregister();
    wss.close();
  };
}
