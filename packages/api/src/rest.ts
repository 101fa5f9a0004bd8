import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PrismaClient } from '@fulcrum/db';
import { generateOpenApiDocument } from 'trpc-to-openapi';
import { createContext } from './context';
import { asTRPCError, toPublicError } from './error-format';
import { AppError } from './errors';
import { readBodyText, parseJsonText } from './http/request-body';
import { type RestRoute, decodePathParam, fromStringParams, restRoutes } from './http/rest-routes';
import { sendError, sendJson } from './http/send';
import { headersFromNode } from './node-headers';
import { appRouter, createCaller } from './root';

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

const WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/**
 * The input of a REST call, read strictly: a JSON object body (size- and depth-limited before
 * parsing) for POST/PUT/PATCH, query parameters for GET/DELETE, path parameters for both. No
 * coercion: `"listenPort": true` reaches the schema as `true` and is refused there.
 */
async function readInput(req: IncomingMessage, url: URL, route: RestRoute, pathInput: Record<string, string>): Promise<unknown> {
  const body = WITH_BODY.has(route.method) ? await readBodyText(req) : '';
  const query = new Map<string, string[]>();
  url.searchParams.forEach((v, k) => query.set(k, [...(query.get(k) ?? []), v]));
  if (!route.takesInput) {
    if (body.trim() || query.size) throw new AppError('BAD_REQUEST', `${route.method} ${url.pathname} takes no input`);
    return undefined;
  }
  const fromPath = fromStringParams(new Map(Object.entries(pathInput).map(([k, v]) => [k, [v]])), route.shape);
  if (!WITH_BODY.has(route.method)) return { ...fromStringParams(query, route.shape), ...fromPath };
  if (query.size) {
    const [name] = query.keys();
    throw AppError.field(name!, `${name}: send it in the JSON body, not in the query string`);
  }
  let parsed: unknown = {};
  if (body.trim()) {
    const type = req.headers['content-type'] ?? '';
    if (!/^application\/json\s*(;|$)/i.test(type)) throw new AppError('BAD_REQUEST', 'send the body as application/json');
    parsed = parseJsonText(body);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new AppError('BAD_REQUEST', 'the body must be a JSON object');
  for (const name of route.pathParams) {
    if (Object.hasOwn(parsed, name)) throw AppError.field(name, `${name}: is given in the path; leave it out of the body`);
  }
  return { ...parsed, ...fromPath };
}

/** Handles `/api/v1/*`: the REST face of the same procedures, plus `/api/v1/openapi.json`. */
export function createRestHandler({ prisma, isSecure = () => false }: { prisma: () => PrismaClient; isSecure?: (req: IncomingMessage) => boolean }) {
  const routes = restRoutes(appRouter);
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const path = url.pathname.startsWith(REST_BASE) ? url.pathname.slice(REST_BASE.length).replace(/\/$/, '') || '/' : url.pathname;
      if (path === '/openapi.json' && method === 'GET') return sendJson(res, 200, generateOpenApi());
      const candidates = routes.filter((r) => r.pattern.test(path));
      const route = candidates.find((r) => r.method === method);
      if (!route) {
        if (candidates.length) throw new AppError('BAD_REQUEST', `${method} is not supported here; use ${candidates.map((r) => r.method).join(' or ')}`);
        throw new AppError('NOT_FOUND', `no operation ${method} ${path}`);
      }
      const groups = route.pattern.exec(path)?.groups ?? {};
      const pathInput = Object.fromEntries(Object.entries(groups).map(([k, v]) => [k, decodePathParam(k, v)]));
      const input = await readInput(req, url, route, pathInput);
      const resHeaders = new Headers();
      const ctx = await createContext({ headers: headersFromNode(req.headers), resHeaders, prisma: prisma(), secure: isSecure(req), clientAddress: req.socket.remoteAddress });
      const call = route.procedure.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], createCaller(ctx)) as (input: unknown) => Promise<unknown>;
      const data = await call(input);
      resHeaders.forEach((v, k) => res.appendHeader(k, v));
      sendJson(res, 200, data);
    } catch (err) {
      sendError(res, toPublicError(asTRPCError(err)));
    }
  };
}
