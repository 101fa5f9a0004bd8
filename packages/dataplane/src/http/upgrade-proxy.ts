import type { Buffer } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type ClientRequest, type ClientResponse, nodeRequest } from './client-exchange';
import type { UpgradeTarget } from './http-proxy';
import type { RequestHead } from './request-head';
import { SocketWriter } from '../io/socket-writer';
import { INTERNAL_ERROR_REASON } from './error-page';
import { refusalResponse } from './server/client-connection';
import { PlainResponse } from './server/plain-response';
import { endRefused, lingerAfterEnd } from './server/refused-close';

const BAD_UPGRADE = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nX-Fulcrum-Error: an upgrade request cannot carry a body\r\nContent-Length: 0\r\n\r\n';

/**
 * WebSocket (and any HTTP/1.1 Upgrade) through the pool. The handshake is an ordinary proxied
 * request (same backend choice, retries, X-Forwarded-*, error pages); only a `101 Switching
 * Protocols` opens the tunnel, and until then nothing the client sends after its head is read.
 * Any other answer goes to the client as an ordinary response and the connection closes: the
 * client's next bytes never reach a backend unparsed. A request node:http took for an upgrade
 * that the proxy's reading (`checked`) does not (h2c, HTTP/1.0) is served the same way, as an
 * ordinary request.
 */
export function proxyUpgrade(
  serve: (request: ClientRequest, res: ClientResponse, upgrade: UpgradeTarget | undefined) => void,
  req: IncomingMessage,
  client: Duplex,
  head: Buffer,
  checked: RequestHead,
): void {
  const socket = client as Socket;
  socket.on('error', () => {});
  // The proxy's reading: its target (origin form) and framing, as for any other request.
  const request = nodeRequest(req, checked);
  // Its body would be mistaken for the new protocol's first bytes, or hold the handshake up.
  if (request.body) return endRefused(socket, BAD_UPGRADE);
  // After an ordinary answer (the backend's, or a route's own: a redirect, a fixed answer, a 404)
  // the connection closes; reading resumes only to see the client's end (what it sent after its
  // head is dropped), and a client that never ends is not waited on for good.
  const closeAfter = () => {
    socket.end();
    lingerAfterEnd(socket);
  };
  // The socket's own timeout counts its writes (so they go through its stream): nothing to note on each.
  const internalError = (_: PlainResponse, started: boolean) => (started ? socket.destroy() : endRefused(socket, refusalResponse(500, INTERNAL_ERROR_REASON)));
  const res = new PlainResponse(
    { socket, writer: new SocketWriter(socket as Socket, false), responseEnded: closeAfter, arm: (ms) => socket.setTimeout(ms), active: () => {}, internalError },
    false,
    false,
  );
  socket.on('timeout', () => socket.destroy());
  socket.once('close', () => res.clientGone());
  // The listener's routes decide: a pool (proxyHttpRequest with the upgrade), or an answer of their own.
  serve(request, res, checked.upgrade ? { socket, early: head, offered: checked.upgrade } : undefined);
}
