import type { DataplaneHub } from '@fulcrum/api';
import { DATAPLANE_WS_PATH } from '@fulcrum/protocol';
import { WebSocketServer } from 'ws';
import type { WsRoutes } from './ws-routes';

/**
 * The largest message a data plane may send: a stats frame of a few thousand backends fits many
 * times over; anything bigger is refused before it is parsed.
 */
const MAX_MESSAGE_BYTES = 8 * 1024 * 1024;

/**
 * Serves `/ws/dataplane`: the upgrade is completed, then the hub checks the token and closes a
 * connection that is not a data plane's with an application close code and the reason.
 */
export function mountDataplaneHub(hub: DataplaneHub, routes: WsRoutes): () => void {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const unregister = routes.register(DATAPLANE_WS_PATH, (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => hub.admit(ws, req.headers.authorization));
  });
  return () => {
    unregister();
    wss.close();
  };
}
