import { z } from 'zod';
import { getHub } from '../hub/dataplane-hub';
import { listDataplanes } from '../services/dataplanes/list-dataplanes';
import { router, viewerProcedure } from '../trpc';

const ZDataplaneSummary = z.object({
  id: z.string(),
  name: z.string(),
  softwareVersion: z.string(),
  connected: z.boolean(),
  lastSeenAt: z.string(),
  appliedConfigVersion: z.number().int().nullable(),
  lag: z.number().int().nullable(),
  lastError: z.string().nullable(),
});

export const dataplanesRouter = router({
  list: viewerProcedure
    .meta({ openapi: { method: 'GET', path: '/dataplanes', protect: true, tags: ['dataplanes'], summary: 'Data planes: connected, last seen, applied config, lag' } })
    .input(z.void())
    .output(z.array(ZDataplaneSummary))
    .query(({ ctx }) => listDataplanes(ctx.prisma)),
  /** Recent per-second traffic of a pool, merged across data planes (for charts). */
  recentStats: viewerProcedure
    .input(z.object({ poolId: z.string().min(1), seconds: z.number().int().min(1).max(900).default(300) }))
    .query(({ input }) => getHub()?.stats.recent(input.poolId, input.seconds) ?? []),
  /** Each pool's newest complete second: requests/s, error rate, worst p99, backends up. */
  poolSummaries: viewerProcedure.input(z.void()).query(() => {
    const out: Record<string, { rps: number; errorRate: number; p99: number; healthy: number; reported: number }> = {};
    for (const [poolId, second] of getHub()?.stats.latestPerPool() ?? []) {
      const points = Object.values(second.backends);
      const rps = points.reduce((a, p) => a + p.requests, 0);
      const errors = points.reduce((a, p) => a + p.responses['5xx'] + p.errors.connect + p.errors.timeout + p.errors.reset, 0);
      out[poolId] = {
        rps,
        errorRate: rps ? errors / rps : 0,
        p99: Math.max(0, ...points.map((p) => p.latencyMs.p99)),
        healthy: points.filter((p) => p.health !== 'unhealthy' && !p.ejected).length,
        reported: points.length,
      };
    }
    return out;
  }),
});
