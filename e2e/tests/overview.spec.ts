import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer, get } from 'node:http';
import { type Page, expect, test } from '@playwright/test';
import { freePort } from '../support/free-port';

/**
 * The incident-first overview and the pool page while something is down. Independent of the
 * other specs: its own pool and backends (unique names), and the admin created if missing.
 */
test.describe.configure({ mode: 'serial' });

const ADMIN = { email: 'admin@example.com', name: 'Ada Admin', password: 'correct horse battery' };
const servers: Server[] = [];
test.afterAll(() => servers.forEach((s) => (s.closeAllConnections(), s.close())));

async function startServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return { server, port: (server.address() as { port: number }).port };
}

/** Signs in as the admin, creating it first on a fresh control plane. */
async function signInAdmin(page: Page): Promise<void> {
  await page.goto('/');
  // The client redirects to /setup (no admin yet) or /login (not signed in): wait for where it lands.
  const pools = page.getByRole('heading', { name: 'Pools' });
  const setup = page.getByRole('button', { name: 'Create admin' });
  const login = page.getByRole('button', { name: 'Sign in' });
  await expect(pools.or(setup).or(login)).toBeVisible();
  if (await setup.isVisible()) {
    await page.getByLabel('Name').fill(ADMIN.name);
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await setup.click();
  } else if (await login.isVisible()) {
    await page.getByLabel('Email').fill(ADMIN.email);
    await page.getByLabel('Password').fill(ADMIN.password);
    await login.click();
  }
  await expect(pools).toBeVisible();
}

const trpcPost = async <T>(page: Page, path: string, input: unknown): Promise<T> => {
  const res = await page.request.post(`/api/trpc/${path}`, { data: input });
  const body = (await res.json()) as { result?: { data: T }; error?: unknown };
  if (!body.result) throw new Error(`${path}: ${JSON.stringify(body.error)}`);
  return body.result.data;
};

/** Requests one at a time against `port` until stopped (bounded to three minutes). */
function sendTraffic(port: number) {
  let stop = false;
  const deadline = Date.now() + 180_000;
  const loop = async () => {
    while (!stop && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const req = get({ host: '127.0.0.1', port, path: '/', timeout: 2000 }, (res) => (res.resume(), res.on('end', () => resolve())));
        req.on('timeout', () => req.destroy());
        req.on('error', () => resolve());
      });
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const done = loop();
  return async () => {
    stop = true;
    await done;
  };
}

test('a dead backend leads the overview with since when and why; the pool page shows it as "—", on a health timeline and as marks on the charts; the pool page stays cheap while live', async ({
  page,
}) => {
  test.setTimeout(300_000);
  await signInAdmin(page);
  const name = `ov-${randomUUID().slice(0, 8)}`;
  const listenPort = await freePort();
  const live = await startServer((req, res) => (req.resume(), res.end('live')));
  const doomed = await startServer((req, res) => (req.resume(), res.end('doomed')));
  const doomedAddr = `127.0.0.1:${doomed.port}`;
  // A stopped backend refuses at once; the generous timeout keeps the live one up on a busy machine.
  const healthCheck = { enabled: true, type: 'http', path: '/', intervalMs: 300, timeoutMs: 2000, rise: 1, fall: 1 };
  // Retries cover the dead backend, so clients see no errors: the problem is the backend, not the pool's clients.
  const pool = await trpcPost<{ id: string }>(page, 'pools.create', { name, listenHost: '127.0.0.1', listenPort, healthCheck, retries: { attempts: 2, on5xx: false, budgetPercent: 100 } });
  for (const b of [live, doomed]) await trpcPost(page, 'backends.create', { poolId: pool.id, host: '127.0.0.1', port: b.port });
  const stopTraffic = sendTraffic(listenPort);
  try {
    await page.goto(`/pools/${pool.id}?section=backends`);
    const doomedRow = page.locator(`tr[data-backend="${doomedAddr}"]`);
    await expect(doomedRow.locator('td.health')).toHaveText('healthy', { timeout: 60_000 });
    await expect(page.locator(`[data-health-timeline="${doomedAddr}"] [data-state="healthy"]`).first()).toBeVisible({ timeout: 60_000 });
    // Chart axes read as clock times.
    await expect(page.locator('[data-chart="Active connections"] .chart-tick').first()).toHaveText(/^\d\d:\d\d:\d\d$/);

    doomed.server.closeAllConnections();
    doomed.server.close();
    const killed = Date.now();

    // The pool page: a red row with "—" for its numbers, red on the timeline, a mark on the charts.
    await expect(doomedRow).toHaveAttribute('data-dead', 'true', { timeout: 60_000 });
    await expect(doomedRow).toHaveClass(/row-problem/);
    await expect(doomedRow.locator('td.active')).toHaveText('—');
    await expect(doomedRow.locator('td.rps')).toHaveText(/^—/);
    await expect(doomedRow.locator('.down-note')).toBeVisible();
    await expect(page.locator(`[data-health-timeline="${doomedAddr}"] [data-state="unhealthy"], [data-health-timeline="${doomedAddr}"] [data-state="ejected"]`).first()).toBeVisible({
      timeout: 60_000,
    });
    await expect(page.locator('.chart-marks [data-mark="unhealthy"], .chart-marks [data-mark="ejected"]', { hasText: doomedAddr }).first()).toBeVisible({ timeout: 60_000 });

    // The overview: the problem first, with since when and the last check's result; the pool's row red.
    await page.getByRole('navigation', { name: 'main' }).getByRole('link', { name: 'Overview' }).click();
    const onOverview = Date.now();
    const problem = page.locator('[data-problem="backend_down"]', { hasText: doomedAddr });
    await expect(problem).toContainText(new RegExp(`in ${name} is (down|ejected) since \\d\\d:\\d\\d:\\d\\d`), { timeout: 60_000 });
    await expect(problem).toContainText('last check:');
    // biome-ignore lint/performance/useDomNodeTextContent: the text as the operator sees it, laid out.
    const shown = (await problem.innerText()).trim();
    console.log(`e2e: the overview named ${doomedAddr} down ${Date.now() - onOverview} ms after it opened (${Date.now() - killed} ms after the backend stopped): "${shown}"`);
    await expect(page.locator(`tr[data-pool="${name}"]`)).toHaveClass(/row-problem/);
    await expect(page.locator(`tr[data-pool="${name}"] td.errors`)).toHaveText(/^0\.0%/);

    // A config change is a mark on the charts that opens the revision's diff.
    await page.locator(`tr[data-pool="${name}"]`).getByRole('link', { name }).click();
    const mark = page.locator('.chart-marks [data-mark="revision"]').last();
    await expect(mark).toBeVisible({ timeout: 60_000 });
    // biome-ignore lint/performance/useDomNodeTextContent: the mark's label as shown.
    const version = Number(/revision (\d+)/.exec(await mark.innerText())![1]);

    // CPU the live pool page costs over 30 s of live updates: the renderer's CPU time (SystemInfo,
    // what the process really used) and main-thread task time (Performance.getMetrics TaskDuration,
    // wall time of tasks: on a machine busy with other work it counts time spent waiting for a core too).
    const browserCdp = await page.context().browser()!.newBrowserCDPSession();
    const rendererCpu = async () => {
      const { processInfo } = (await browserCdp.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; cpuTime: number }[] };
      return processInfo.filter((p) => p.type === 'renderer').reduce((a, p) => a + p.cpuTime, 0);
    };
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const taskSeconds = async () => (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration')!.value;
    const [t0, c0, w0] = [await taskSeconds(), await rendererCpu(), Date.now()];
    await page.waitForTimeout(30_000); // the measurement window itself, not a wait before an assertion
    const [tasks, cpu, wall] = [(await taskSeconds()) - t0, (await rendererCpu()) - c0, (Date.now() - w0) / 1000];
    console.log(
      `e2e: pool page while live, over ${wall.toFixed(1)} s: renderer CPU ${(cpu * 1000).toFixed(0)} ms = ${((cpu / wall) * 100).toFixed(2)} % of a core; ` +
        `main-thread tasks ${(tasks * 1000).toFixed(0)} ms = ${((tasks / wall) * 100).toFixed(2)} % (goal ≤ 5 %; load average ${(await import('node:os')).loadavg()[0]!.toFixed(1)})`,
    );
    await cdp.detach();
    await browserCdp.detach();

    await mark.click();
    await expect(page).toHaveURL(new RegExp(`/revisions\\?diff=${version}$`));
    await expect(page.getByRole('heading', { name: `Revision ${version - 1} → ${version}` })).toBeVisible();
  } finally {
    await stopTraffic();
  }
});
