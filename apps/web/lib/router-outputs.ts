import type { AppRouter } from '@fulcrum/api';
import type { inferRouterOutputs } from '@trpc/server';

/** What each procedure answers, inferred from the API's own output schemas (never re-declared here). */
export type TRouterOutputs = inferRouterOutputs<AppRouter>;

/** What a subscription yields, one item (its output is the async iterable of them). */
export type TYielded<T> = T extends AsyncIterable<infer U> ? U : never;
