import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BODY_LIMIT_BYTES,
  DataplaneHub,
  appRouter,
  asTRPCError,
  assertNoBatchedCredentials,
  createContext,
  createRestHandler,
  headersFromNode,
  openControlPlaneDatabase,
  prepareTrpcRequest,
  retryAfterHeaders,
  sendError,
  sendJson,
  setHub,
  setInternalErrorLog,
  startControlLoops,
  toPublicError,
  type ControlPlaneDatabase,
} from '@fulcrum/api';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import next from 'next';
import { setServerApi } from '../lib/server-api';
import { mountDataplaneHub } from './dataplane-ws';
import { serveHealth } from './health';
import { parseTrustedProxies, requestIsHttps } from './request-protocol';
import { WsRoutes } from './ws-routes';

const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface StartOptions {
  port: number;
  host: string;
  dev?: boolean;
  /** Overrides DATABASE_URL (tests). */
  databaseUrl?: string;
  /** Serve only the API (no Next), for tests that do not need the pages. */
  apiOnly?: boolean;
  log?: (line: string) => void;
  /** Proxies whose X-Forwarded-Proto is believed (FULCRUM_TRUSTED_PROXIES's format); none by default. */
  trustedProxies?: string;
  /** The control plane's certificate chain and key (PEM): it then serves https, and the link wss. */
  tls?: { cert: string; key: string };
}

export interface RunningServer {
  server: Server;
  port: number;
  url: string;
  database: ControlPlaneDatabase;
  close(): Promise<void>;
}

/**
 * One process, one port: the database first, then `/api/health`, tRPC at `/api/trpc`, REST at
 * `/api/v1`, WebSocket endpoints under `/ws/`, and Next for every page.
 */
export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const log = opts.log ?? ((line: string) => console.log(line));
  setInternalErrorLog(log);
  const database = await openControlPlaneDatabase(opts.databaseUrl);
  const { prisma } = database;
  log(`database: ${database.embedded ? 'embedded PostgreSQL' : 'DATABASE_URL'}${database.appliedMigrations.length ? `, applied ${database.appliedMigrations.join(', ')}` : ''}`);

  const hub = new DataplaneHub(prisma, { controlPlaneId: `cp-${process.pid}` });
  hub.start(database.url);
  setHub(hub);
  const stopControlLoops = startControlLoops({ prisma, databaseUrl: database.url, log });
  const wsRoutes = new WsRoutes();
  const unmountHub = mountDataplaneHub(hub, wsRoutes);

  const trusted = parseTrustedProxies(opts.trustedProxies);
  const isSecure = (req: IncomingMessage) => requestIsHttps(req, trusted);
  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: '/api/trpc/',
    // prepareTrpcRequest has already read the body within this limit; this is the second fence.
    maxBodySize: BODY_LIMIT_BYTES,
    createContext: async ({ req, res, info }) => {
      assertNoBatchedCredentials(info);
      const resHeaders = new Headers();
      const ctx = await createContext({ headers: headersFromNode(req.headers), resHeaders, prisma, secure: isSecure(req), clientAddress: req.socket.remoteAddress });
      // Cookies set by login/logout go out with the response.
      const origWriteHead = res.writeHead.bind(res);
      res.writeHead = ((...args: Parameters<ServerResponse['writeHead']>) => {
        resHeaders.forEach((v, k) => res.appendHeader(k, v));
        return origWriteHead(...args);
      }) as ServerResponse['writeHead'];
      return ctx;
    },
    // 429 and 503 say when to come back. (Internal errors are logged, with their request id, by the error formatter.)
    responseMeta: ({ errors }) => ({ headers: retryAfterHeaders(errors) }),
  });
  const rest = createRestHandler({ prisma: () => prisma, isSecure });
  // Server components (the overview's first render) call the procedures directly, as this request's session.
  setServerApi({ router: appRouter, context: (headers) => createContext({ headers, resHeaders: new Headers(), prisma }) });

  const nextApp = opts.apiOnly ? undefined : next({ dev: opts.dev ?? false, dir: appDir, hostname: opts.host, port: opts.port });
  const nextHandler = nextApp?.getRequestHandler();
  await nextApp?.prepare();
  const nextUpgrade = opts.dev ? nextApp?.getUpgradeHandler() : undefined;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    try {
      if (url === '/api/health' || url.startsWith('/api/health?')) {
        await serveHealth(database, res);
      } else if (url.startsWith('/api/trpc/')) {
        await prepareTrpcRequest(req);
        trpc(req, res);
      } else if (url === '/api/v1' || url.startsWith('/api/v1/') || url.startsWith('/api/v1?')) {
        await rest(req, res);
      } else if (nextHandler) {
        await nextHandler(req, res);
      } else {
        sendJson(res, 404, { error: 'not found' });
      }
    } catch (err) {
      // Refused bodies (413, too deep) and anything unexpected: one formatter, no internal text.
      sendError(res, toPublicError(asTRPCError(err)));
    }
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse) => void handle(req, res);
  // Same handler, same upgrade routes: with a certificate the dashboard, the API and /ws/dataplane are all TLS.
  const server: Server = opts.tls ? createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key }, onRequest) : createServer(onRequest);
  server.on('upgrade', (req, socket, head) => {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    const route = wsRoutes.find(pathname);
    if (route) return route(req, socket, head);
    if (nextUpgrade && pathname.startsWith('/_next/')) return void nextUpgrade(req, socket, head);
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const shownHost = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host;
  return {
    server,
    port,
    url: `${opts.tls ? 'https' : 'http'}://${shownHost}:${port}`,
    database,
    async close() {
      unmountHub();
      await stopControlLoops();
      await hub.stop();
      setHub(undefined);
      setServerApi(undefined);
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await nextApp?.close?.();
      await database.close();
    },
  };
}
