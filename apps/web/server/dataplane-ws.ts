import type { DataplaneHub } from '@fulcrum/api';
import { DATAPLANE_WS_PATH } from '@fulcrum/protocol';
import { WebSocketServer } from 'ws';
import type { WsRoutes } from './ws-routes';

/**
 * Serves `/ws/dataplane`: the upgrade is completed, then a connection whose token is not a
 * data-plane token is closed with an application close code and the reason.
 */
export function mountDataplaneHub(hub: DataplaneHub, routes: WsRoutes): () => void {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 });
  const unregister = routes.register(DATAPLANE_WS_PATH, (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      // A data plane says hello as soon as the socket opens, which can be before the token
      // check below resolves; hold its messages until the hub listens, or the hello is lost.
      ws.pause();
      void hub.authenticate(req.headers.authorization).then(
        (auth) => {
          if (auth.ok) hub.accept(ws);
          ws.resume();
          if (!auth.ok) ws.close(auth.code, auth.reason);
        },
        () => {
          ws.resume();
          ws.close(1011, 'authentication failed');
        },
      );
    });
  });
  return () => {
    unregister();
    wss.close();
  };
}
