import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PrismaClient } from '@fulcrum/db';
import { createOpenApiNodeHttpHandler, generateOpenApiDocument } from 'trpc-to-openapi';
import { createContext } from './context';
import { headersFromNode } from './node-headers';
import { appRouter } from './root';

export const REST_BASE = '/api/v1';

let document: ReturnType<typeof generateOpenApiDocument> | undefined;

export function generateOpenApi(baseUrl = REST_BASE) {
  document ??= generateOpenApiDocument(appRouter, {
    title: 'Fulcrum control plane API',
    description: 'Pools, backends, revisions and events for CI pipelines and scripts. Authenticate with `Authorization: Bearer <API token>`.',
    version: '1.0.0',
    baseUrl,
  });
  return document;
}

/** Handles `/api/v1/*`: the REST face of the same procedures, plus `/api/v1/openapi.json`. */
export function createRestHandler({ prisma, isSecure = () => false }: { prisma: () => PrismaClient; isSecure?: (req: IncomingMessage) => boolean }) {
  const handler = createOpenApiNodeHttpHandler({
    router: appRouter,
    createContext: async (opts) => {
      const req = opts.req as IncomingMessage;
      const res = opts.res as ServerResponse;
      const resHeaders = new Headers();
      const ctx = await createContext({ headers: headersFromNode(req.headers), resHeaders, prisma: prisma(), secure: isSecure(req) });
      resHeaders.forEach((v, k) => res.appendHeader(k, v));
      return ctx;
    },
  });
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = req.url ?? '/';
    const rest = url.startsWith(REST_BASE) ? url.slice(REST_BASE.length) || '/' : url;
    if (rest === '/openapi.json' || rest.startsWith('/openapi.json?')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(generateOpenApi()));
      return;
    }
    req.url = rest;
    await handler(req, res);
  };
}
