import { zApiInput } from '@fulcrum/protocol';
import { z } from 'zod';
import { getHub } from '../hub/dataplane-hub';
import { operatorProcedure, router } from '../trpc';

/** How often a quiet tail re-says which data planes it covers (they link and unlink meanwhile). */
const COVERAGE_EVERY_MS = 5_000;

export const tailRouter = router({
  /**
   * A pool's live request tail: sampled access records from every data plane serving it, those
   * linked to other replicas included (through PostgreSQL: hub/tail-watch-leases.ts,
   * tail-line-feed.ts), at most 200 lines a second per data plane, with the count of lines
   * dropped; `coverage` names the data planes it reaches and those it cannot (disconnected, or
   * silent). Only while someone subscribes are data planes asked to send them. Operators and admins only:
   * records carry client addresses and request paths (which may hold tokens in query strings).
   */
  watch: operatorProcedure.input(zApiInput(z.object({ poolId: z.string().min(1).max(64) }))).subscription(async function* ({ input, signal }) {
    const hub = getHub();
    if (!hub) return;
    const abort = signal ?? new AbortController().signal;
    const { watcher, stop } = hub.tail.watch(input.poolId);
    try {
      // A first, empty batch says the tail is on (the dashboard shows "waiting for requests"),
      // and every batch (at least every COVERAGE_EVERY_MS) which data planes the tail covers.
      yield { ts: Date.now(), lines: [], dropped: 0, coverage: hub.tailCoverage() };
      for (;;) {
        const batch = await watcher.next(abort, COVERAGE_EVERY_MS);
        if (!batch) return;
        yield { ts: Date.now(), ...batch, coverage: hub.tailCoverage() };
      }
    } finally {
      stop();
    }
  }),
});
