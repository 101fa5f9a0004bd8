import { readFileSync, readdirSync } from 'node:fs';
import { area, expect, openPoolSection, shot, signIn, test } from '../support/fixtures';
import { sendTraffic } from '../support/traffic';

/** The local data plane of the shared control plane: found by its bundle and that control plane's port, never by name alone. */
function localDataplanePid(): number {
  const cpPort = new URL(process.env.FULCRUM_E2E_URL!).port;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
    } catch {
      continue;
    }
    if (cmd.includes('fulcrum-dataplane.mjs') && cmd.includes(`ws://127.0.0.1:${cpPort}/ws/dataplane`)) return Number(entry);
  }
  throw new Error('the local data plane process was not found');
}

area('live traffic and monitoring', () => {
  test('live traffic: the charts and the backends table move, drain stops a backend, a dead one turns unhealthy', async ({ page, users, pools, backend }) => {
    test.setTimeout(480_000);
    const bs = [await backend('one'), await backend('two'), await backend('three')];
    const pool = await pools.create({ backends: bs, config: { algorithm: 'least_connections' } });
    await signIn(page, users.admin);
    await page.getByRole('link', { name: 'Data planes' }).click();
    await expect(page.locator('tr[data-dataplane="local"]')).toContainText('connected');
    await expect(page.locator('tr[data-dataplane="local"]')).toContainText('up to date');
    await page.getByRole('link', { name: 'Revisions' }).click();
    const newest = page.locator('tr[data-revision]').first().locator('.applied');
    await expect(newest).toContainText('fully applied');
    await expect(newest).toContainText('local');

    const traffic = sendTraffic(pool.listenPort, 300_000);
    try {
      await page.getByRole('navigation', { name: 'main' }).getByRole('link', { name: 'Overview' }).click();
      await page.getByRole('row').getByRole('link', { name: pool.name, exact: true }).click();
      await openPoolSection(page, 'Backends');
      for (const b of bs) await expect(page.locator(`tr[data-backend="${b.addr}"] .rps`)).not.toHaveText(/^(0|—)$/, { timeout: 60_000 });
      await expect(page.locator('[data-chart="Upstream attempts/s per backend (retries included)"] .chart-line').first()).toBeVisible();
      await shot(page, 'pool-live');

      await page.locator(`tr[data-backend="${bs[0]!.addr}"]`).getByRole('button', { name: 'Drain' }).click();
      await expect(page.locator(`tr[data-backend="${bs[0]!.addr}"] .state`)).toHaveText('draining');
      await expect(page.locator(`tr[data-backend="${bs[0]!.addr}"] .rps`)).toHaveText('0', { timeout: 60_000 });
      await expect(page.locator(`tr[data-backend="${bs[1]!.addr}"] .rps`)).not.toHaveText(/^(0|—)$/);

      // Health checks: every 2 s, three failures in a row.
      await bs[2]!.stop();
      await expect(page.locator(`tr[data-backend="${bs[2]!.addr}"] .health`)).toHaveText(/unhealthy|ejected/, { timeout: 60_000 });
      await shot(page, 'pool-unhealthy');

      // Longer ranges come from the stored 10-second rollups.
      const ranges = page.getByRole('group', { name: 'Time range' });
      await expect(ranges.getByRole('button', { name: '5 min live' })).toHaveAttribute('aria-pressed', 'true');
      await ranges.getByRole('button', { name: '1 h' }).click();
      await expect(ranges.getByRole('button', { name: '1 h' })).toHaveAttribute('aria-pressed', 'true');
      await expect(page.locator('[data-chart="Upstream attempts/s per backend (retries included)"]')).toHaveCount(0);
      await expect(page.locator('[data-chart="Failed upstream attempts/s and retries"] .chart-line').first()).toBeVisible({ timeout: 60_000 });
      await shot(page, 'pool-history');
      await ranges.getByRole('button', { name: '5 min live' }).click();
      await expect(page.locator('[data-chart="Upstream attempts/s per backend (retries included)"] .chart-line').first()).toBeVisible();
    } finally {
      await traffic.stop();
    }
    expect(traffic.seen.one).toBeGreaterThan(0);
    expect(traffic.seen.two).toBeGreaterThan(0);
  });

  test('monitoring: all backends down shows ~100 % client errors with the 503 cause; a stopped data plane greys out as stale', async ({ page, users, pools, backend }) => {
    test.setTimeout(480_000);
    const pair = [await backend('a'), await backend('b')];
    const healthCheck = { enabled: true, type: 'http', path: '/', intervalMs: 200, timeoutMs: 150, rise: 1, fall: 1 };
    const pool = await pools.create({ backends: pair, config: { healthCheck } });
    await signIn(page, users.admin);

    // Bounded traffic: two loops, one request at a time each, for at most five minutes (a busy machine makes the steps slow).
    const traffic = sendTraffic(pool.listenPort, 300_000);
    let frozen: number | undefined;
    try {
      await page.goto('/');
      const row = page.locator(`tr[data-pool="${pool.name}"]`);
      await expect(row.locator('td.errors')).toHaveText(/^0\.0%/, { timeout: 60_000 });
      await expect(row.locator('td.rps')).not.toHaveText(/^0/);

      for (const b of pair) await b.stop();
      const down = Date.now();
      await expect(row.locator('td.errors')).toHaveText(/^(9\d|100)\.\d%/, { timeout: 60_000 });
      await expect(row.locator('[data-cause="no_healthy_backend"]')).toContainText('503 no healthy backend', { timeout: 60_000 });
      console.log(`e2e: overview showed ~100 % client errors with the 503 cause ${Date.now() - down} ms after the last backend stopped`);
      expect(traffic.statuses.filter((s) => s === 503).length).toBeGreaterThan(0);
      await shot(page, 'overview-outage');

      // The pool page says the same, from the client's side.
      await page.getByRole('row').getByRole('link', { name: pool.name, exact: true }).click();
      await expect(page.locator('[data-live-summary] [data-figure="errors"]')).toHaveText(/^(9\d|100)\.\d %/, { timeout: 60_000 });
      await expect(page.locator('[data-live-summary] [data-cause="no_healthy_backend"]')).toContainText('no healthy backend');
      await page.getByRole('navigation', { name: 'main' }).getByRole('link', { name: 'Overview' }).click();
      await expect(row.locator('td.errors')).toHaveText(/^(9\d|100)\.\d%/, { timeout: 60_000 });

      // Freeze the data plane: its numbers stop, and the overview greys them out with since when and why.
      frozen = localDataplanePid();
      process.kill(frozen, 'SIGSTOP');
      const stopped = Date.now();
      await expect(row).toHaveAttribute('data-stale', 'true', { timeout: 60_000 });
      await expect(row.locator('[data-stale-note]')).toContainText(/no data since \d\d:\d\d:\d\d \(data plane local (stopped reporting|disconnected)\)/, { timeout: 60_000 });
      console.log(`e2e: overview marked the pool stale ${Date.now() - stopped} ms after the data plane stopped`);
      await shot(page, 'overview-stale');
    } finally {
      if (frozen !== undefined) process.kill(frozen, 'SIGCONT');
      await traffic.stop();
    }
    // Back: the row is live again.
    await expect(page.locator(`tr[data-pool="${pool.name}"]`)).not.toHaveAttribute('data-stale', 'true', { timeout: 60_000 });
  });
});
