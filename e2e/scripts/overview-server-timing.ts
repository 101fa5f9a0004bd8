/**
 * How long the server takes to answer the overview's HTML (rendered with its data for a signed-in
 * session) next to a page without server data, an anonymous request and the same procedures over
 * plain tRPC: where a cold load's time goes on the server side. Starts a control plane of its own
 * (the production build, its local data plane) and a pool under light traffic. A measurement to
 * compare, not a test: it prints and never fails on a figure.
 *
 *   pnpm --filter @fulcrum/web build && pnpm --filter @fulcrum/dataplane build
 *   cd e2e && npx tsx scripts/overview-server-timing.ts
 */
import { request } from '@playwright/test';
import { startBackend } from '../support/backends';
import { startControlPlane } from '../support/control-plane';
import { freePort } from '../support/free-port';
import { sendTraffic } from '../support/traffic';
import { trpcMutation, trpcQuery } from '../support/trpc';
const ADMIN = { email: 'admin@example.com', name: 'Ada Admin', password: 'correct horse battery' };
async function main() {
  console.log(`load average ${(await import('node:os')).loadavg()[0]!.toFixed(1)}`);
  const cp = await startControlPlane();
  const api = await request.newContext({ baseURL: cp.url });
  await trpcMutation(api, 'auth.setup', ADMIN);
  await trpcMutation(api, 'auth.login', { email: ADMIN.email, password: ADMIN.password });
  const b = await startBackend('one');
  const created = await trpcMutation<{ id: string }>(api, 'pools.create', { name: 'probe', listenHost: '127.0.0.1', listenPort: await freePort() });
  await trpcMutation(api, 'backends.create', { poolId: created.id, host: '127.0.0.1', port: b.port });
  const { listenPort } = await trpcQuery<{ listenPort: number }>(api, 'pools.get', { id: created.id });
  const traffic = sendTraffic(listenPort, 600_000);
  await new Promise((r) => setTimeout(r, 5000));
  const anon = await request.newContext({ baseURL: cp.url });
  const time = async (ctx: typeof api, path: string) => {
    const t = performance.now();
    await (await ctx.get(path)).body();
    return performance.now() - t;
  };
  for (const [label, ctx, path] of [
    ['/ signed in (layout + overview data)', api, '/'],
    ['/events signed in (layout only)', api, '/events'],
    ['/ anonymous (no data)', anon, '/'],
    ['auth.status over HTTP', api, '/api/trpc/auth.status'],
    [
      'pools.list+liveNow+problems+dataplanes+events batch over HTTP',
      api,
      `/api/trpc/pools.list,stats.liveNow,stats.problems,dataplanes.list,events.list?batch=1&input=${encodeURIComponent(JSON.stringify({ 4: { limit: 10 } }))}`,
    ],
  ] as const) {
    await time(ctx, path);
    const ms: number[] = [];
    for (let i = 0; i < 7; i++) ms.push(await time(ctx, path));
    ms.sort((a, b) => a - b);
    console.log(`${label}: median ${ms[3]!.toFixed(0)} ms (min ${ms[0]!.toFixed(0)}, max ${ms[6]!.toFixed(0)})`);
  }
  await traffic.stop();
  await b.stop();
  await cp.stop();
}
void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
