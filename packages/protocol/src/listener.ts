import { z } from 'zod';
import { ZHttpSettings } from './pool';
import { ZHost, ZId, ZPort, ZSlug, zMillis } from './primitives';
import { type CATCH_ALL_MATCH, ZSnapshotRoute } from './route';

export const LISTENER_PROTOCOLS = ['http', 'https', 'tcp'] as const;
export const ZListenerProtocol = z.enum(LISTENER_PROTOCOLS, { error: 'protocol must be http, https or tcp' });
export type TListenerProtocol = z.infer<typeof ZListenerProtocol>;

/** What a listener reads from clients before any route is known: the request head limits and whom to believe about the client address. */
export const ZListenerHttp = ZHttpSettings.pick({ headTimeoutMs: true, maxHeadBytes: true, maxHeaders: true, trustedProxies: true });
export type TListenerHttp = z.infer<typeof ZListenerHttp>;
export const LISTENER_HTTP_DEFAULTS: TListenerHttp = ZListenerHttp.parse({});

/** TLS termination on an https listener: the certificates it serves by SNI (the first is the default), and the lowest version it accepts. */
export const ZListenerTls = z.object({
  certificateIds: z.array(ZId).max(100).default([]),
  /** HTTP/2 offered through ALPN (h2 before http/1.1), proxied to HTTP/1.1 backends. */
  http2: z.boolean().default(false),
  minVersion: z.enum(['TLSv1.2', 'TLSv1.3'], { error: 'minVersion must be TLSv1.2 or TLSv1.3' }).default('TLSv1.2'),
});
export type TListenerTls = z.infer<typeof ZListenerTls>;

const listenerFields = {
  name: ZSlug,
  address: ZHost.default('0.0.0.0'),
  port: ZPort,
  protocol: ZListenerProtocol.default('http'),
  http: ZListenerHttp.default(LISTENER_HTTP_DEFAULTS),
  /** A client connection's silence allowed between requests. */
  idleMs: zMillis(100, 3_600_000).default(60_000),
  tls: ZListenerTls.optional(),
};

/** A listener's fields without the checks across them (patches are built from this). */
export const ZListenerFields = z.object(listenerFields);

/** An https listener serves at least one certificate; TLS settings belong to https listeners only. */
export function checkTls(l: { protocol: TListenerProtocol; tls?: { certificateIds: string[] } | undefined }, ctx: z.RefinementCtx): void {
  if (l.protocol !== 'https') {
    if (l.tls !== undefined) ctx.addIssue({ code: 'custom', path: ['tls'], message: 'tls settings apply to https listeners only' });
    return;
  }
  if (!l.tls?.certificateIds.length) ctx.addIssue({ code: 'custom', path: ['tls', 'certificateIds'], message: 'an https listener needs at least one certificate (the first is its default)' });
  if (l.tls && new Set(l.tls.certificateIds).size !== l.tls.certificateIds.length) ctx.addIssue({ code: 'custom', path: ['tls', 'certificateIds'], message: 'a certificate is named twice' });
}

/** Everything an operator sets on a listener (its routes are objects of their own). */
export const ZListenerConfig = z.object(listenerFields).superRefine(checkTls);
export type TListenerConfig = z.infer<typeof ZListenerConfig>;
export type TListenerConfigInput = z.input<typeof ZListenerConfig>;

const isCatchAll = (m: typeof CATCH_ALL_MATCH) => m.hosts.length === 0 && m.path.type === 'prefix' && m.path.value === '/' && m.methods.length === 0 && m.headers.length === 0 && m.query.length === 0;

export const ZSnapshotListener = z.object({ ...listenerFields, id: ZId, routes: z.array(ZSnapshotRoute).max(1000, 'at most 1000 routes per listener') }).superRefine((l, ctx) => {
  checkTls(l, ctx);
  const names = new Set<string>();
  l.routes.forEach((r, ri) => {
    if (names.has(r.name)) ctx.addIssue({ code: 'custom', path: ['routes', ri, 'name'], message: `route name ${r.name} appears twice on listener ${l.name}` });
    names.add(r.name);
  });
  if (l.protocol !== 'tcp') return;
  // A TCP listener sees bytes, not requests: it forwards every connection to one pool.
  const only = l.routes[0];
  if (l.routes.length !== 1 || !only || only.action.type !== 'pool') {
    ctx.addIssue({ code: 'custom', path: ['routes'], message: 'a tcp listener has exactly one route, to a pool' });
    return;
  }
  if (!isCatchAll(only.match) || only.headers.request.length || only.headers.response.length || only.rewrite || only.rateLimit) {
    ctx.addIssue({ code: 'custom', path: ['routes', 0], message: 'a tcp listener route cannot match on or change HTTP (no host, path, header rules, rewrite or rate limit)' });
  }
});
export type TSnapshotListener = z.infer<typeof ZSnapshotListener>;
