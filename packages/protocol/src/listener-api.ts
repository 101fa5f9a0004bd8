import { z } from 'zod';
import { ZListenerFields, checkTls } from './listener';
import { zPatch } from './patch';
import { ZId, zIntRange, zToken } from './primitives';
import { ZChangeReason } from './revision';
import { ZRouteFields, checkRoute } from './route';

/**
 * What the API takes and answers for listeners and their routes (tRPC, REST, fulcrumctl and the
 * dashboard's forms). Listeners, routes and pools are named by id or by name.
 */

const ZRef = (what: string) => z.string().trim().min(1, `${what} is required`).max(64, `${what} is at most 64 characters`);
const ZExpectedVersion = z.number().int().min(1);

export const ZListenerCreate = ZListenerFields.extend({
  /** A pool to send everything to: the listener starts with one catch-all route to it (a tcp listener needs one). */
  pool: ZRef('pool').optional(),
  reason: ZChangeReason,
}).superRefine((l, ctx) => {
  checkTls(l, ctx);
  if (l.protocol === 'tcp' && l.pool === undefined) ctx.addIssue({ code: 'custom', path: ['pool'], message: 'a tcp listener forwards every connection to one pool: name it' });
});
export type TListenerCreate = z.infer<typeof ZListenerCreate>;
export const ZListenerUpdate = z.object({ id: ZRef('listener'), expectedVersion: ZExpectedVersion, patch: zPatch(ZListenerFields), reason: ZChangeReason });
export type TListenerUpdate = z.infer<typeof ZListenerUpdate>;
export const ZListenerDelete = z.object({ id: ZRef('listener'), expectedVersion: ZExpectedVersion, reason: ZChangeReason });

/** A route's pool action may name the pool by id or by name; the service stores the id. */
export const ZRouteCreate = ZRouteFields.extend({ listener: ZRef('listener'), reason: ZChangeReason }).superRefine(checkRoute);
export type TRouteCreate = z.infer<typeof ZRouteCreate>;
export const ZRouteUpdate = z.object({ listener: ZRef('listener'), id: ZRef('route'), expectedVersion: ZExpectedVersion, patch: zPatch(ZRouteFields), reason: ZChangeReason });
export type TRouteUpdate = z.infer<typeof ZRouteUpdate>;
export const ZRouteRef = z.object({ listener: ZRef('listener'), id: ZRef('route') });
export const ZRouteDelete = ZRouteRef.extend({ expectedVersion: ZExpectedVersion, reason: ZChangeReason });
/** New priorities for several routes of one listener, in one revision. */
export const ZRouteReorder = z.object({
  listener: ZRef('listener'),
  priorities: z
    .array(z.object({ id: ZRef('route'), priority: zIntRange(-1000, 1000) }))
    .min(1, 'name at least one route')
    .max(1000, 'at most 1000 routes'),
  reason: ZChangeReason,
});
export type TRouteReorder = z.infer<typeof ZRouteReorder>;

/** "Which route would this request take?": a URL as a client would send it to the listener. */
export const ZWhichRouteInput = z.object({
  listener: ZRef('listener'),
  /** A path (`/api/users?x=1`) or an absolute URL (`http://api.example.com/api`, whose host becomes the Host header). */
  url: z
    .string()
    .trim()
    .min(1, 'url is required')
    .max(8192, 'url is at most 8192 characters')
    .refine((u) => u.startsWith('/') || /^https?:\/\/[^/?#\s]+/i.test(u), 'url must be a path starting with / or an http(s):// URL')
    .refine((u) => !/[\s\0-\x1f\x7f]/.test(u), 'url may not hold spaces or control characters'),
  method: zToken('method')
    .overwrite((m) => m.toUpperCase())
    .default('GET'),
  /** Request headers by name; a Host here wins over the URL's host. */
  headers: z
    .record(zToken('header name'), z.string().max(8192, 'a header value is at most 8192 characters'))
    .refine((h) => Object.keys(h).length <= 100, 'at most 100 headers')
    .default({}),
});
export type TWhichRouteInput = z.infer<typeof ZWhichRouteInput>;

// ---- answers ----

export const ZListener = ZListenerFields.extend({
  id: ZId,
  /** The pool this listener was made with in one step (it goes with that pool), or null. */
  poolId: z.string().nullable(),
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type TListener = z.infer<typeof ZListener>;
export const ZListenerListItem = ZListener.extend({ routeCount: z.number().int() });
export type TListenerListItem = z.infer<typeof ZListenerListItem>;

export const ZRoute = ZRouteFields.extend({ id: ZId, listenerId: ZId, version: z.number().int(), createdAt: z.string(), updatedAt: z.string() });
export type TRoute = z.infer<typeof ZRoute>;

/** One place in a listener's match order: a route with several hosts takes one place per host. */
export const ZRouteOrderEntry = z.object({ routeId: ZId, route: z.string(), host: z.string().nullable() });
export type TRouteOrderEntry = z.infer<typeof ZRouteOrderEntry>;

export const ZListenerWithRoutes = ZListener.extend({
  /** Routes by first place in the match order. */
  routes: z.array(ZRoute),
  /** The whole match order, as the data plane tries it. */
  order: z.array(ZRouteOrderEntry),
});
export type TListenerWithRoutes = z.infer<typeof ZListenerWithRoutes>;

export const ZRouteCheck = ZRouteOrderEntry.extend({
  matched: z.boolean(),
  /** Each condition tried, in order; for a route that did not match, the last one says why. */
  reasons: z.array(z.string()),
});
export type TRouteCheck = z.infer<typeof ZRouteCheck>;

export const ZWhichRouteAnswer = z.object({
  /** The request as routes compare it (normalized host and path). */
  request: z.object({ host: z.string().nullable(), path: z.string(), query: z.string(), method: z.string() }),
  /** The route the data plane would pick, or null (it answers 404 "no route"). */
  route: ZRoute.nullable(),
  /** Every place in the match order up to and including the match, with why it did or did not take the request. */
  checks: z.array(ZRouteCheck),
});
export type TWhichRouteAnswer = z.infer<typeof ZWhichRouteAnswer>;
