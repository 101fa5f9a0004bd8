import { type Server, createServer, get } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { type Page, expect, test } from '@playwright/test';

test.describe.configure({ mode: 'serial' });

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Three real backends on 127.0.0.1 that answer with their name. */
const backends: { name: string; port: number; server: Server }[] = [];
let listenPort = 0;
test.beforeAll(async () => {
  if (backends.length) return;
  listenPort = await freePort();
  for (const name of ['one', 'two', 'three']) {
    const server = createServer((req, res) => {
      req.resume();
      res.end(name);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    backends.push({ name, port: (server.address() as { port: number }).port, server });
  }
});
test.afterAll(() => backends.forEach((b) => b.server.close()));
const addr = (i: number) => `127.0.0.1:${backends[i]!.port}`;

const ADMIN = { email: 'admin@example.com', name: 'Ada Admin', password: 'correct horse battery' };
const VIEWER = { email: 'viewer@example.com', name: 'Vic Viewer', password: 'viewer password 1' };
const shot = (page: Page, name: string) => page.screenshot({ path: `artifacts/${name}.png`, fullPage: true });

async function signIn(page: Page, who: { email: string; password: string }) {
  await page.goto('/login');
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Pools' })).toBeVisible();
}

test('first run asks for the first admin, then signs them in', async ({ page }) => {
  await page.goto('/');
  await expect(page).toHaveURL(/\/setup$/);
  await shot(page, 'setup');
  await page.getByLabel('Name').fill(ADMIN.name);
  await page.getByLabel('Email').fill(ADMIN.email);
  await page.getByLabel('Password').fill('short');
  await page.getByRole('button', { name: 'Create admin' }).click();
  await expect(page.locator('[data-field="password"] .field-error')).toContainText('at least 8');
  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Create admin' }).click();
  await expect(page.getByRole('heading', { name: 'Pools' })).toBeVisible();
  await expect(page.getByText('No pools yet')).toBeVisible();
});

test('signing out ends the session; signing in works from the keyboard alone', async ({ page }) => {
  await page.goto('/login');
  await page.getByLabel('Email').focus();
  await page.keyboard.type(ADMIN.email);
  await page.keyboard.press('Tab');
  await page.keyboard.type(ADMIN.password);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Pools' })).toBeVisible();
  await shot(page, 'overview-empty');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  const status = await page.request.get('/api/trpc/auth.status');
  expect(((await status.json()) as { result: { data: { user: unknown } } }).result.data.user).toBeNull();
  await page.goto('/revisions');
  await expect(page).toHaveURL(/\/login$/);
  await page.getByLabel('Email').fill(ADMIN.email);
  await page.getByLabel('Password').fill('wrong password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.locator('form .error')).toBeVisible();
  await expect(page).toHaveURL(/\/login$/);
});

test('an admin creates a pool and three backends in the browser', async ({ page }) => {
  await signIn(page, ADMIN);
  await page.getByRole('link', { name: 'New pool' }).click();
  await page.getByLabel('Name', { exact: true }).fill('shop');
  await page.getByLabel('Listen address').fill('127.0.0.1');
  await page.getByLabel('Listen port').fill(String(listenPort));
  await page.getByLabel('Algorithm').selectOption('least_connections');
  await expect(page.getByText('The backend with the fewest active connections.')).toBeVisible();
  await page.getByRole('button', { name: 'Create pool' }).click();
  await expect(page.getByRole('heading', { name: /shop/ })).toBeVisible();
  for (const b of backends) {
    await page.getByLabel('Host').fill('127.0.0.1');
    await page.getByLabel('Port', { exact: true }).fill(String(b.port));
    await page.getByRole('button', { name: 'Add backend' }).click();
    await expect(page.locator(`tr[data-backend="127.0.0.1:${b.port}"]`)).toBeVisible();
  }
  await page.locator(`tr[data-backend="${addr(1)}"]`).getByRole('button', { name: 'Drain' }).click();
  await expect(page.locator(`tr[data-backend="${addr(1)}"] .state`)).toHaveText('draining');
  await shot(page, 'pool');
});

test('an invalid form shows the field error and saves nothing', async ({ page }) => {
  await signIn(page, ADMIN);
  await page.getByRole('link', { name: 'shop' }).click();
  const before = await page.request.get('/api/trpc/revisions.list?input=' + encodeURIComponent(JSON.stringify({ limit: 100 })));
  const countBefore = ((await before.json()) as { result: { data: unknown[] } }).result.data.length;

  await page.getByRole('textbox', { name: 'Path', exact: true }).fill('no-leading-slash');
  await page.getByRole('button', { name: 'Save pool' }).click();
  await expect(page.locator('[data-field="healthCheck.path"] .field-error')).toContainText('must start with /');

  // A server-side rule (duplicate backend) comes back beside the field too.
  await page.getByLabel('Host').fill('127.0.0.1');
  await page.getByLabel('Port', { exact: true }).fill(String(backends[0]!.port));
  await page.getByRole('button', { name: 'Add backend' }).click();
  await expect(page.locator('[data-field="port"] .field-error')).toContainText('already has a backend');

  const after = await page.request.get('/api/trpc/revisions.list?input=' + encodeURIComponent(JSON.stringify({ limit: 100 })));
  expect(((await after.json()) as { result: { data: unknown[] } }).result.data.length).toBe(countBefore);
});

test('a viewer sees everything and can change nothing', async ({ page, browser }) => {
  await signIn(page, ADMIN);
  await page.getByRole('link', { name: 'Settings' }).click();
  const invite = page.locator('form.inline-form').first();
  await invite.getByLabel('Email').fill(VIEWER.email);
  await invite.getByLabel('Name').fill(VIEWER.name);
  await invite.getByLabel('Initial password').fill(VIEWER.password);
  await invite.getByLabel('Role').selectOption('viewer');
  await invite.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByRole('cell', { name: VIEWER.email })).toBeVisible();
  await shot(page, 'settings');

  const viewerContext = await browser.newContext();
  const viewer = await viewerContext.newPage();
  await signIn(viewer, VIEWER);
  await expect(viewer.getByRole('button', { name: 'New pool' })).toBeDisabled();
  await viewer.getByRole('link', { name: 'shop' }).click();
  await expect(viewer.getByRole('button', { name: 'Save pool' })).toBeDisabled();
  await expect(viewer.getByRole('button', { name: 'Add backend' })).toBeDisabled();
  await expect(viewer.locator(`tr[data-backend="${addr(0)}"]`).getByRole('button', { name: 'Drain' })).toBeDisabled();
  // The server enforces it as well.
  const res = await viewer.request.post('/api/trpc/pools.create', { data: { name: 'sneaky', listenPort: 18999 } });
  expect(res.status()).toBe(403);
  await viewerContext.close();
});

test('rolling back a revision restores the earlier configuration', async ({ page }) => {
  await signIn(page, ADMIN);
  await page.getByRole('link', { name: 'Revisions' }).click();
  // Revisions: 1 create pool, 2-4 backends, 5 drain. Restore 4 (before the drain).
  await expect(page.locator('tr[data-revision="5"]')).toBeVisible();
  await page.locator('tr[data-revision="5"]').getByRole('button', { name: 'Diff' }).click();
  await expect(page.getByText(`pools.shop.backends.${addr(1)}.adminState`)).toBeVisible();
  await shot(page, 'revisions');
  await page.locator('tr[data-revision="4"]').getByRole('button', { name: 'Roll back' }).click();
  await page.getByRole('button', { name: 'Restore 4' }).click();
  await expect(page.locator('tr[data-revision="6"]')).toContainText('roll back to revision 4');
  // The running data plane applies the rollback like any other revision.
  await expect(page.locator('tr[data-revision="6"] .applied')).toContainText('fully applied', { timeout: 15_000 });
  await expect(page.locator('tr[data-revision="6"] .applied')).toContainText('local');
  await page.getByRole('link', { name: 'Overview' }).click();
  await page.getByRole('link', { name: 'shop' }).click();
  await expect(page.locator(`tr[data-backend="${addr(1)}"] .state`)).toHaveText('active');
});

test('a stale edit is refused: "Someone else changed this — reload"', async ({ page, browser }) => {
  await signIn(page, ADMIN);
  await page.getByRole('link', { name: 'shop' }).click();
  await expect(page.getByRole('button', { name: 'Save pool' })).toBeEnabled();

  const otherContext = await browser.newContext();
  const other = await otherContext.newPage();
  await signIn(other, ADMIN);
  await other.getByRole('link', { name: 'shop' }).click();
  await other.getByLabel('Slow start (ms)').fill('5000');
  await other.getByRole('button', { name: 'Save pool' }).click();
  await expect(other.getByText('Pool saved')).toBeVisible();
  await otherContext.close();

  await page.getByLabel('Drain timeout (ms)').fill('12000');
  await page.getByRole('button', { name: 'Save pool' }).click();
  await expect(page.locator('.toast-error')).toHaveText('Someone else changed this — reload.');
  await page.getByRole('button', { name: 'Reload' }).click();
  await expect(page.getByLabel('Slow start (ms)')).toHaveValue('5000');
  await page.getByLabel('Drain timeout (ms)').fill('12000');
  await page.getByRole('button', { name: 'Save pool' }).click();
  await expect(page.getByText('Pool saved')).toBeVisible();
  await expect(page.getByLabel('Drain timeout (ms)')).toHaveValue('12000');
});

test('an API token is shown once, works over REST, and a viewer token cannot write', async ({ page }) => {
  await signIn(page, ADMIN);
  await page.getByRole('link', { name: 'Settings' }).click();
  const tokenForm = page.locator('form.inline-form').nth(1);
  await tokenForm.getByLabel('Token name').fill('read-only script');
  await tokenForm.getByLabel('Role').selectOption('viewer');
  await tokenForm.getByRole('button', { name: 'Create token' }).click();
  const token = (await page.getByTestId('new-token').textContent())!.trim();
  expect(token.length).toBeGreaterThan(20);
  await page.getByRole('button', { name: 'Done' }).click();
  await expect(page.getByTestId('new-token')).toHaveCount(0);
  await expect(page.getByRole('cell', { name: 'read-only script' })).toBeVisible();
  await expect(page.getByText(token)).toHaveCount(0);

  const headers = { authorization: `Bearer ${token}` };
  const list = await page.request.get('/api/v1/pools', { headers });
  expect(list.status()).toBe(200);
  expect(((await list.json()) as { name: string }[]).map((p) => p.name)).toContain('shop');
  const write = await page.request.post('/api/v1/pools', { headers, data: { name: 'sneaky', listenPort: 18998 } });
  expect(write.status()).toBe(403);
  expect((await page.request.get('/api/v1/pools', { headers: { authorization: 'Bearer flc_not-a-token' } })).status()).toBe(401);
});

/** Plain HTTP requests through the data plane, bounded in time, until stopped. */
function sendTraffic(ms: number) {
  let stop = false;
  const seen: Record<string, number> = {};
  const deadline = Date.now() + ms;
  const loop = async () => {
    while (!stop && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        get({ host: '127.0.0.1', port: listenPort, path: '/' }, (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => {
            seen[body] = (seen[body] ?? 0) + 1;
            resolve();
          });
        }).on('error', () => resolve());
      });
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const done = Promise.all([loop(), loop()]);
  return { seen, stop: async () => ((stop = true), await done) };
}

test('live traffic: the charts and the backends table move, drain stops a backend, a dead one turns unhealthy', async ({ page }) => {
  test.setTimeout(120_000);
  await signIn(page, ADMIN);
  await page.getByRole('link', { name: 'Data planes' }).click();
  await expect(page.locator('tr[data-dataplane="local"]')).toContainText('connected');
  await expect(page.locator('tr[data-dataplane="local"]')).toContainText('up to date');
  await page.getByRole('link', { name: 'Revisions' }).click();
  const newest = page.locator('tr[data-revision]').first().locator('.applied');
  await expect(newest).toContainText('fully applied');
  await expect(newest).toContainText('local');

  const traffic = sendTraffic(90_000);
  try {
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('link', { name: 'shop' }).click();
    for (const i of [0, 1, 2]) await expect(page.locator(`tr[data-backend="${addr(i)}"] .rps`)).not.toHaveText(/^(0|—)$/, { timeout: 20_000 });
    await expect(page.locator('[data-chart="Requests/s per backend"] .recharts-line').first()).toBeVisible();
    await shot(page, 'pool-live');

    await page.locator(`tr[data-backend="${addr(0)}"]`).getByRole('button', { name: 'Drain' }).click();
    await expect(page.locator(`tr[data-backend="${addr(0)}"] .state`)).toHaveText('draining');
    await expect(page.locator(`tr[data-backend="${addr(0)}"] .rps`)).toHaveText('0', { timeout: 20_000 });
    await expect(page.locator(`tr[data-backend="${addr(1)}"] .rps`)).not.toHaveText(/^(0|—)$/);

    // Health checks: every 2 s, three failures in a row.
    backends[2]!.server.closeAllConnections();
    backends[2]!.server.close();
    await expect(page.locator(`tr[data-backend="${addr(2)}"] .health`)).toHaveText(/unhealthy|ejected/, { timeout: 30_000 });
    await shot(page, 'pool-unhealthy');

    // Longer ranges come from the stored 10-second rollups.
    const ranges = page.getByRole('group', { name: 'Time range' });
    await expect(ranges.getByRole('button', { name: '5 min live' })).toHaveAttribute('aria-pressed', 'true');
    await ranges.getByRole('button', { name: '1 h' }).click();
    await expect(ranges.getByRole('button', { name: '1 h' })).toHaveAttribute('aria-pressed', 'true');
    await expect(page.locator('[data-chart="Requests/s per backend"]')).toHaveCount(0);
    await expect(page.locator('[data-chart="Requests/s"] .recharts-line').first()).toBeVisible({ timeout: 30_000 });
    await shot(page, 'pool-history');
    await ranges.getByRole('button', { name: '5 min live' }).click();
    await expect(page.locator('[data-chart="Requests/s per backend"] .recharts-line').first()).toBeVisible();
  } finally {
    await traffic.stop();
  }
  expect(traffic.seen.one).toBeGreaterThan(0);
  expect(traffic.seen.two).toBeGreaterThan(0);
});

test('the main pages at desktop and phone width, without sideways scrolling', async ({ page }) => {
  await signIn(page, ADMIN);
  const pages: [string, string][] = [
    ['overview', '/'],
    ['revisions', '/revisions'],
    ['events', '/events'],
    ['dataplanes', '/dataplanes'],
    ['settings', '/settings'],
  ];
  for (const [width, suffix] of [[1280, ''], [390, '-phone']] as const) {
    await page.setViewportSize({ width, height: 900 });
    for (const [name, url] of pages) {
      await page.goto(url);
      await expect(page.locator('main h1').first()).toBeVisible();
      await expect(page.getByText(/Loading/)).toHaveCount(0);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `${name} at ${width}px scrolls sideways`).toBeLessThanOrEqual(0);
      await shot(page, `${name}${suffix}`);
    }
    await page.goto('/');
    await page.getByRole('link', { name: 'shop' }).click();
    await expect(page.getByRole('heading', { name: /shop/ })).toBeVisible();
    await shot(page, `pool${suffix}`);
  }
});
