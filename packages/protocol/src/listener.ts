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

/** Reserved for TLS termination (certificates by SNI, HTTP/2 through ALPN): refused until it is built. */
export const ZListenerTls = z.object({
  certificateIds: z.array(ZId).max(100).default([]),
  http2: z.boolean().default(false),
  minVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default('TLSv1.2'),
});

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

/** https and TLS settings are part of the model already so that configs can name them; a data plane cannot serve them yet. */
export function refuseUnbuilt(l: { protocol: TListenerProtocol; tls?: unknown }, ctx: z.RefinementCtx): void {
  if (l.protocol === 'https') ctx.addIssue({ code: 'custom', path: ['protocol'], message: 'https listeners are not yet supported (TLS termination is not built yet): use http or tcp' });
  if (l.tls !== undefined) ctx.addIssue({ code: 'custom', path: ['tls'], message: 'tls settings are not yet supported (TLS termination is not built yet)' });
}

/** Everything an operator sets on a listener (its routes are objects of their own). */
export const ZListenerConfig = z.object(listenerFields).superRefine(refuseUnbuilt);
export type TListenerConfig = z.infer<typeof ZListenerConfig>;
export type TListenerConfigInput = z.input<typeof ZListenerConfig>;

const isCatchAll = (m: (typeof CATCH_ALL_MATCH)) =>
  m.hosts.length === 0 && m.path.type === 'prefix' && m.path.value === '/' && m.methods.length === 0 && m.headers.length === 0 && m.query.length === 0;

export const ZSnapshotListener = z
  .object({ ...listenerFields, id: ZId, routes: z.array(ZSnapshotRoute).max(1000, 'at most 1000 routes per listener') })
  .superRefine((l, ctx) => {
    refuseUnbuilt(l, ctx);
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
