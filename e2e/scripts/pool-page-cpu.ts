/**
 * What the live pool page costs the browser: starts a control plane of its own (the production
 * build, its local data plane), a pool of three backends under ~50 req/s, opens the pool page in
 * Debian's Chromium and prints, over a window of live updates, the renderer process's CPU time
 * (SystemInfo.getProcessInfo: what the process really used) and main-thread task time
 * (Performance.getMetrics TaskDuration: wall time of tasks, which on a busy machine includes
 * waiting for a core). A measurement to compare, not a test: it prints and never fails on a figure.
 *
 *   pnpm --filter @fulcrum/web build && pnpm --filter @fulcrum/dataplane build
 *   cd e2e && npx tsx scripts/pool-page-cpu.ts            # FULCRUM_CPU_SECONDS=30 by default
 *   FULCRUM_CPU_PROFILE=1 npx tsx scripts/pool-page-cpu.ts # also the 15 functions with the most self time
 */
import os from 'node:os';
import { type APIRequestContext, chromium, request } from '@playwright/test';
import { startBackend } from '../support/backends';
import { startControlPlane } from '../support/control-plane';
import { freePort } from '../support/free-port';
import { sendTraffic } from '../support/traffic';
import { trpcMutation, trpcQuery } from '../support/trpc';

const SECONDS = Number(process.env.FULCRUM_CPU_SECONDS ?? 30);
const PROFILE = process.env.FULCRUM_CPU_PROFILE === '1';

type Profile = { nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number } }[]; samples: number[]; timeDeltas: number[] };

/** Self time per function (ms), most first. */
function hottest(p: Profile, n: number): string[] {
  const byId = new Map(p.nodes.map((node) => [node.id, node.callFrame]));
  const self = new Map<string, number>();
  p.samples.forEach((id, i) => {
    const f = byId.get(id)!;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop() ?? ''}:${f.lineNumber}:${f.columnNumber}`;
    self.set(key, (self.get(key) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  });
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, ms]) => `${ms.toFixed(0).padStart(7)} ms  ${k}`);
}
const ADMIN = { email: 'admin@example.com', name: 'Ada Admin', password: 'correct horse battery' };

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 120_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function poolWithTraffic(api: APIRequestContext) {
  const backends = await Promise.all(['one', 'two', 'three'].map((n) => startBackend(n)));
  const created = await trpcMutation<{ id: string }>(api, 'pools.create', { name: 'cpu-probe', listenHost: '127.0.0.1', listenPort: await freePort() });
  for (const b of backends) await trpcMutation(api, 'backends.create', { poolId: created.id, host: '127.0.0.1', port: b.port });
  type Dp = { connected: boolean; lag: number | null };
  await until('the data plane applies the pool', async () => ((await trpcQuery<Dp[]>(api, 'dataplanes.list')).some((d) => d.connected && d.lag === 0) ? true : undefined));
  const { listenPort } = await trpcQuery<{ listenPort: number }>(api, 'pools.get', { id: created.id });
  const traffic = sendTraffic(listenPort, (SECONDS + 300) * 1000);
  return { id: created.id, stop: async () => (await traffic.stop(), await Promise.all(backends.map((b) => b.stop()))), traffic };
}

async function main() {
  const cp = await startControlPlane();
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
  let pool: Awaited<ReturnType<typeof poolWithTraffic>> | undefined;
  try {
    const api = await request.newContext({ baseURL: cp.url });
    await trpcMutation(api, 'auth.setup', ADMIN);
    await trpcMutation(api, 'auth.login', { email: ADMIN.email, password: ADMIN.password });
    pool = await poolWithTraffic(api);
    const context = await browser.newContext({ baseURL: cp.url, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto('/login');
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Pools' }).waitFor({ timeout: 120_000 });
    await page.goto(`/pools/${pool.id}`);
    await page.locator('[data-chart="Client responses/s"]').waitFor({ timeout: 120_000 });
    // Settle: the first seconds load history and mount everything once.
    await page.waitForTimeout(5_000);

    const browserCdp = await browser.newBrowserCDPSession();
    const rendererCpu = async () => {
      const { processInfo } = (await browserCdp.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; cpuTime: number }[] };
      return processInfo.filter((p) => p.type === 'renderer').reduce((a, p) => a + p.cpuTime, 0);
    };
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const BREAKDOWN = ['TaskDuration', 'ScriptDuration', 'LayoutDuration', 'RecalcStyleDuration'] as const;
    const metrics = async () =>
      Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.filter((m) => (BREAKDOWN as readonly string[]).includes(m.name)).map((m) => [m.name, m.value])) as Record<
        (typeof BREAKDOWN)[number],
        number
      >;
    const taskSeconds = async () => (await metrics()).TaskDuration;
    if (PROFILE) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.start');
    }
    const sent0 = pool.traffic.statuses.length;
    const m0 = await metrics();
    const [t0, c0, w0] = [await taskSeconds(), await rendererCpu(), Date.now()];
    await page.waitForTimeout(SECONDS * 1000); // the measurement window
    const [tasks, cpu, wall] = [(await taskSeconds()) - t0, (await rendererCpu()) - c0, (Date.now() - w0) / 1000];
    const rps = (pool.traffic.statuses.length - sent0) / wall;
    const m1 = await metrics();
    const share = (k: (typeof BREAKDOWN)[number]) => `${k.replace('Duration', '').toLowerCase()} ${(((m1[k] - m0[k]) / wall) * 100).toFixed(1)} %`;
    if (PROFILE) console.log(hottest(((await cdp.send('Profiler.stop')) as unknown as { profile: Profile }).profile, 15).join('\n'));
    console.log(
      `pool page while live, over ${wall.toFixed(1)} s at ${rps.toFixed(0)} req/s: renderer CPU ${(cpu * 1000).toFixed(0)} ms = ${((cpu / wall) * 100).toFixed(2)} % of a core; ` +
        `main-thread tasks ${(tasks * 1000).toFixed(0)} ms = ${((tasks / wall) * 100).toFixed(2)} % (${share('ScriptDuration')}, ${share('LayoutDuration')}, ${share('RecalcStyleDuration')}) (goal ≤ 5 %; load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores)`,
    );
  } finally {
    await pool?.stop();
    await browser.close();
    await cp.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
