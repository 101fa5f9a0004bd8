import { Buffer } from 'node:buffer';
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { MAX_HELLO_RECORD, readClientHello } from './client-hello';
import type { ListenerCertificates } from './listener-certificates';

export interface TlsHandlers {
  /** The certificates of the listener that owns the port now (undefined while it has none). */
  certificates(): ListenerCertificates | undefined;
  /** How long a client may take to finish its handshake. */
  handshakeMs(): number;
  /** Whether the listener offers HTTP/2 now (ALPN `h2`). */
  http2(): boolean;
  /** The handshake completed: the decrypted stream goes to the HTTP listener. */
  secure(socket: TLSSocket): void;
  /** A handshake that failed, timed out or was abandoned (counted; the socket is gone). */
  failed(reason: string): void;
}

/** ALPN offers, in the server's order of preference (OpenSSL picks the first the client also lists). */
const ALPN_H1 = ['http/1.1'];
const ALPN_H2 = ['h2', 'http/1.1'];

/**
 * Terminates TLS on an accepted TCP connection. The first record of the ClientHello is read
 * for the name the client asks for (see client-hello.ts), the certificate is chosen from the
 * listener's certificates as they are now (so a new snapshot's certificates serve the next
 * handshake without touching connections already open), and the bytes read are handed to the
 * TLS socket, which replays them. A failed handshake costs its socket and a counter, never the process.
 */
export function terminateTls(raw: Socket, handlers: TlsHandlers): void {
  let done = false;
  let tls: TLSSocket | undefined;
  const fail = (reason: string) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    handlers.failed(reason);
    (tls ?? raw).destroy();
  };
  const timer = setTimeout(() => fail('handshake timeout'), handlers.handshakeMs());
  raw.on('error', () => fail('connection reset'));
  raw.once('close', () => fail('closed during handshake'));
  const chunks: Buffer[] = [];
  let size = 0;
  const onData = (chunk: Buffer) => {
    chunks.push(chunk);
    size += chunk.length;
    const head = chunks.length === 1 ? chunk : Buffer.concat(chunks);
    const hello = readClientHello(head.subarray(0, MAX_HELLO_RECORD));
    if (!hello.done && size < MAX_HELLO_RECORD) return;
    raw.off('data', onData);
    raw.pause();
    raw.unshift(head);
    const certs = handlers.certificates();
    if (!certs) return fail('no certificate');
    start(certs, hello.done ? hello.servername : undefined);
  };
  raw.on('data', onData);
  raw.once('end', () => fail('closed during handshake'));

  function start(certs: ListenerCertificates, servername: string | undefined): void {
    const socket = new TLSSocket(raw, { isServer: true, secureContext: certs.select(servername), ALPNProtocols: handlers.http2() ? ALPN_H2 : ALPN_H1, requestCert: false });
    tls = socket;
    // Client-initiated renegotiation (TLS 1.2) only costs the server CPU; NGINX and HAProxy refuse it too.
    socket.disableRenegotiation();
    socket.on('error', (err) => fail(err.message));
    socket.once('close', () => fail('closed during handshake'));
    socket.once('secure', () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.removeAllListeners('error');
      // As tls.Server does on 'secure': node:http2 waits for a socket still marked as connecting.
      (socket as TLSSocket & { secureConnecting: boolean }).secureConnecting = false;
      handlers.secure(socket);
    });
  }
}
