import { type IncomingMessage, type Server, type ServerResponse, createServer, get } from 'node:http';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { type Page, expect, test } from '@playwright/test';
import { freePort } from '../support/free-port';

test.describe.configure({ mode: 'serial' });

/** Every server the tests start; they live until the suite ends, since later tests route to them. */
const servers: Server[] = [];

/** A real HTTP server on 127.0.0.1 with the given handler; resolves once listening. */
async function startServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return { server, port: (server.address() as { port: number }).port };
}

/** Three real backends on 127.0.0.1 that answer with their name. */
const backends: { name: string; port: number; server: Server }[] = [];
let listenPort = 0;
test.beforeAll(async () => {
  if (backends.length) return;
  listenPort = await freePort();
  for (const name of ['one', 'two', 'three']) {
    const { server, port } = await startServer((req, res) => {
      req.resume();
      res.end(name);
    });
    backends.push({ name, port, server });
  }
});
test.afterAll(() => servers.forEach((s) => s.close()));
const addr = (i: number) => `127.0.0.1:${backends[i]!.port}`;

const ADMIN = { email: 'admin@example.com', name: 'Ada Admin', password: 'correct horse battery' };
const VIEWER = { email: 'viewer@example.com', name: 'Vic Viewer', password: 'viewer password 1' };
const shot = (page: Page, name: string) => page.screenshot({ path: `artifacts/${name}.png`, fullPage: true });
/** A tRPC query over plain HTTP with the page's session, for checking what the server stored. */
const trpcGet = async (page: Page, path: string, input: unknown) =>
  ((await (await page.request.get(`/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`)).json()) as { result: { data: unknown } }).result.data;

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
  const countBefore = ((await trpcGet(page, 'revisions.list', { limit: 100 })) as unknown[]).length;

  await page.getByRole('textbox', { name: 'Path', exact: true }).fill('no-leading-slash');
  await page.getByRole('button', { name: 'Save pool' }).click();
  await expect(page.locator('[data-field="healthCheck.path"] .field-error')).toContainText('must start with /');

  // A server-side rule (duplicate backend) comes back beside the field too.
  await page.getByLabel('Host').fill('127.0.0.1');
  await page.getByLabel('Port', { exact: true }).fill(String(backends[0]!.port));
  await page.getByRole('button', { name: 'Add backend' }).click();
  await expect(page.locator('[data-field="port"] .field-error')).toContainText('already has a backend');

  expect(await trpcGet(page, 'revisions.list', { limit: 100 })).toHaveLength(countBefore);
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
  await expect(page.locator('tr[data-revision="6"] .applied')).toContainText('fully applied', { timeout: 60_000 });
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

/** One plain HTTP request through the data plane: the body, or undefined when it failed. */
function getThroughPool(): Promise<string | undefined> {
  return new Promise((resolve) => {
    get({ host: '127.0.0.1', port: listenPort, path: '/' }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(body));
    }).on('error', () => resolve(undefined));
  });
}

/** Plain HTTP requests through the data plane, bounded in time, until stopped. */
function sendTraffic(ms: number) {
  let stop = false;
  const seen: Record<string, number> = {};
  const deadline = Date.now() + ms;
  const loop = async () => {
    while (!stop && Date.now() < deadline) {
      const body = await getThroughPool();
      if (body !== undefined) seen[body] = (seen[body] ?? 0) + 1;
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const done = Promise.all([loop(), loop()]);
  return { seen, stop: async () => ((stop = true), await done) };
}

test('live traffic: the charts and the backends table move, drain stops a backend, a dead one turns unhealthy', async ({ page }) => {
  test.setTimeout(300_000);
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
    for (const i of [0, 1, 2]) await expect(page.locator(`tr[data-backend="${addr(i)}"] .rps`)).not.toHaveText(/^(0|—)$/, { timeout: 60_000 });
    await expect(page.locator('[data-chart="Upstream attempts/s per backend (retries included)"] .recharts-line').first()).toBeVisible();
    await shot(page, 'pool-live');

    await page.locator(`tr[data-backend="${addr(0)}"]`).getByRole('button', { name: 'Drain' }).click();
    await expect(page.locator(`tr[data-backend="${addr(0)}"] .state`)).toHaveText('draining');
    await expect(page.locator(`tr[data-backend="${addr(0)}"] .rps`)).toHaveText('0', { timeout: 60_000 });
    await expect(page.locator(`tr[data-backend="${addr(1)}"] .rps`)).not.toHaveText(/^(0|—)$/);

    // Health checks: every 2 s, three failures in a row.
    backends[2]!.server.closeAllConnections();
    backends[2]!.server.close();
    await expect(page.locator(`tr[data-backend="${addr(2)}"] .health`)).toHaveText(/unhealthy|ejected/, { timeout: 60_000 });
    await shot(page, 'pool-unhealthy');

    // Longer ranges come from the stored 10-second rollups.
    const ranges = page.getByRole('group', { name: 'Time range' });
    await expect(ranges.getByRole('button', { name: '5 min live' })).toHaveAttribute('aria-pressed', 'true');
    await ranges.getByRole('button', { name: '1 h' }).click();
    await expect(ranges.getByRole('button', { name: '1 h' })).toHaveAttribute('aria-pressed', 'true');
    await expect(page.locator('[data-chart="Upstream attempts/s per backend (retries included)"]')).toHaveCount(0);
    await expect(page.locator('[data-chart="Client responses/s"] .recharts-line').first()).toBeVisible({ timeout: 60_000 });
    await shot(page, 'pool-history');
    await ranges.getByRole('button', { name: '5 min live' }).click();
    await expect(page.locator('[data-chart="Upstream attempts/s per backend (retries included)"] .recharts-line').first()).toBeVisible();
  } finally {
    await traffic.stop();
  }
  expect(traffic.seen.one).toBeGreaterThan(0);
  expect(traffic.seen.two).toBeGreaterThan(0);
});

test('scaling rules: an admin declares a webhook profile; an invalid rule saves nothing; a rule on the profile is saved, evaluated, acts and is listed with its state', async ({ page }) => {
  // The autoscaler's webhook receiver: remembers what it was asked and runs no instances itself.
  const calls: { pool: string; rule: string; desired: number; current: number }[] = [];
  const hook = await startServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      calls.push(JSON.parse(body));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await signIn(page, ADMIN);
  // What scaling may call is declared by an admin, as a provider profile; a rule can only pick one.
  await page.getByRole('link', { name: 'Settings' }).click();
  const profiles = page.locator('section.card', { has: page.getByRole('heading', { name: 'Provider profiles', exact: true }) });
  await expect(profiles.getByText('No provider profiles yet.')).toBeVisible();
  await profiles.getByRole('button', { name: 'New provider profile' }).click();
  const profileForm = profiles.getByRole('form', { name: 'New provider profile' });
  await profileForm.getByLabel('Profile name').fill('scaler');
  await profileForm.getByLabel('Kind').selectOption('webhook');
  await profileForm.getByLabel('Webhook URL').fill('file:///etc/passwd');
  await profileForm.getByRole('button', { name: 'Add profile' }).click();
  await expect(profileForm.locator('[data-field="spec.url"] .field-error')).toContainText('http(s) URL');
  await profileForm.getByLabel('Webhook URL').fill(`http://127.0.0.1:${hook.port}/scale`);
  await profileForm.getByLabel('Signing secret').fill('e2e-signing-secret');
  await profileForm.getByRole('button', { name: 'Add profile' }).click();
  await expect(page.getByText('Provider profile scaler added')).toBeVisible();
  const profileRow = profiles.locator('tr[data-profile="scaler"]');
  await expect(profileRow).toContainText(`http://127.0.0.1:${hook.port}/scale`);
  await expect(profileRow).toContainText('set');
  expect(JSON.stringify(await trpcGet(page, 'providerProfiles.list', {}))).not.toContain('e2e-signing-secret');

  await page.getByRole('link', { name: 'Overview' }).click();
  await page.getByRole('link', { name: 'shop' }).click();
  const section = page.locator('section.card', { has: page.getByRole('heading', { name: 'Scaling rules', exact: true }) });
  await expect(section.getByText('No scaling rules yet')).toBeVisible();
  await section.getByRole('button', { name: 'New scaling rule' }).click();
  const form = section.getByRole('form', { name: 'New scaling rule' });
  await form.getByLabel('Rule name').fill('rps');
  await form.getByLabel('Metric').selectOption('rps_per_backend');
  await form.getByLabel('Scale up above').fill('500');
  await form.getByLabel('Scale down below').fill('1');
  await form.getByLabel('Window (ms)').fill('1000');
  await form.getByLabel('Cooldown (ms)').fill('0');
  await form.getByLabel('Min instances').fill('4');
  await form.getByLabel('Max instances').fill('2');
  await form.getByRole('button', { name: 'Add rule' }).click();
  // No profile picked yet: refused beside the picker.
  await expect(form.locator('[data-field="provider.profile"] .field-error')).toContainText('pick a provider profile');
  await form.getByLabel('Provider profile').selectOption({ label: 'scaler (webhook)' });
  await form.getByRole('button', { name: 'Add rule' }).click();
  await expect(form.locator('[data-field="maxInstances"] .field-error')).toContainText('minInstances must not exceed maxInstances');
  // A threshold left out is refused too, beside its field.
  await form.getByLabel('Min instances').fill('1');
  await form.getByLabel('Scale up above').fill('');
  await form.getByRole('button', { name: 'Add rule' }).click();
  await expect(form.locator('[data-field="scaleUpThreshold"] .field-error')).toBeVisible();
  await expect(form.locator('[data-field="maxInstances"] .field-error')).toHaveCount(0);
  expect(await trpcGet(page, 'scaling.list', { poolId: 'shop' })).toEqual([]);

  await form.getByLabel('Scale up above').fill('500');
  await form.getByRole('button', { name: 'Add rule' }).click();
  await expect(page.getByText('Scaling rule rps added')).toBeVisible();
  const row = section.locator('tr[data-rule="rps"]');
  await expect(row).toContainText('requests/s per backend');
  await expect(row).toContainText('500 / 1');
  await expect(row).toContainText('1–2, step 1');
  await expect(row.locator('.rule-provider')).toHaveText('scaler (webhook)');
  await expect(row.locator('.rule-enabled')).toHaveText('yes');

  // The evaluator brings the pool up to the minimum through the webhook, then holds there.
  await expect.poll(() => calls.length, { timeout: 60_000 }).toBeGreaterThan(0);
  expect(calls[0]).toEqual({ pool: 'shop', rule: 'rps', desired: 1, current: 0 });
  await expect(row.locator('.rule-instances')).toHaveText('1', { timeout: 60_000 });
  await expect(row.locator('.rule-value')).toHaveText(/^\d/, { timeout: 60_000 });
  // No traffic now: requests/s stays below the scale-down threshold, but the rule is at its minimum.
  await expect(row.locator('.rule-decision')).toContainText('at the minimum of 1', { timeout: 60_000 });
  await expect(row.locator('.rule-breach')).toContainText('down since');
  await row.getByRole('button', { name: 'History' }).click();
  await expect(section.getByText('scale up shop from 0 to 1 instance(s): rps_per_backend below the minimum of 1')).toBeVisible({ timeout: 60_000 });
  await shot(page, 'pool-scaling');

  // Edit: switch the rule off; it stays listed and stops acting.
  await row.getByRole('button', { name: 'Edit' }).click();
  const edit = section.getByRole('form', { name: 'Edit rule rps' });
  await expect(edit.getByLabel('Provider profile').locator('option:checked')).toHaveText('scaler (webhook)');
  await edit.getByLabel('Max instances').fill('0');
  await edit.getByRole('button', { name: 'Save rule' }).click();
  await expect(edit.locator('[data-field="maxInstances"] .field-error')).toBeVisible();
  await edit.getByLabel('Max instances').fill('3');
  await edit.getByLabel('Rule enabled').uncheck();
  await edit.getByRole('button', { name: 'Save rule' }).click();
  await expect(page.getByText('Scaling rule rps saved')).toBeVisible();
  await expect(row.locator('.rule-enabled')).toHaveText('no');
  await expect(row).toContainText('1–3, step 1');
});

test('a canary deploy started in the dashboard shifts traffic step by step to new backends and succeeds', async ({ page }) => {
  test.setTimeout(300_000);
  const answerV2 = (req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    res.end('v2');
  };
  const v2 = [await startServer(answerV2), await startServer(answerV2)];
  const v2Addr = v2.map((s) => `127.0.0.1:${s.port}`);
  await signIn(page, ADMIN);
  await page.getByRole('link', { name: 'shop' }).click();
  const section = page.locator('section.card', { has: page.getByRole('heading', { name: 'Deploys', exact: true }) });
  await expect(section.getByText('No deploys yet')).toBeVisible();
  const form = section.getByRole('form', { name: 'Start a deploy' });
  await form.getByLabel('Version', { exact: true }).fill('v2');
  await form.getByLabel('New backends').fill(`${v2Addr[0]}\n127.0.0.1`);
  await form.getByLabel('Canary steps (%)').fill('50, 100');
  await form.getByLabel('Pause before each gate (ms)').fill('1000');
  // No traffic in this test: the gates pass on health checks only when asked to.
  await form.getByLabel('Minimum requests per gate').fill('0');
  await form.getByLabel('Old version drain (ms)').fill('2000');
  await form.getByRole('button', { name: 'Start deploy' }).click();
  await expect(form.locator('[data-field="backends"] .field-error')).toContainText('line 2: port must be a number');

  // The server knows the pool: least connections ignores weights, so a canary cannot shift traffic.
  await form.getByLabel('New backends').fill(v2Addr.join('\n'));
  await form.getByRole('button', { name: 'Start deploy' }).click();
  await expect(form.locator('[data-field="strategy"] .field-error')).toContainText('ignores weights');
  expect(await trpcGet(page, 'deploys.list', { pool: 'shop' })).toEqual([]);

  await page.getByLabel('Algorithm').selectOption('weighted_least_connections');
  await page.getByRole('button', { name: 'Save pool' }).click();
  await expect(page.getByText('Pool saved')).toBeVisible();
  await form.getByRole('button', { name: 'Start deploy' }).click();
  await expect(page.getByText('Deploy of v2 started')).toBeVisible();
  await expect(section.locator('tr[data-deploy="v2"]')).toBeVisible();

  const detail = section.locator('[data-deploy-detail="v2"]');
  await expect(detail.locator('[data-step="shift 50%"]')).toBeVisible({ timeout: 60_000 });
  await expect(detail.locator('.deploy-status')).toHaveText('succeeded', { timeout: 60_000 });
  for (const step of ['plan', 'healthy', 'gate 50%', 'shift 100%', 'gate 100%', 'drain', 'remove old', 'done']) await expect(detail.locator(`[data-step="${step}"]`)).toBeVisible();
  await expect(section.locator('tr[data-deploy="v2"] .deploy-status')).toHaveText('succeeded');
  await expect(detail.getByRole('button', { name: 'Abort' })).toHaveCount(0);

  // The new version is in the backends table at its own weight; the old active ones are gone.
  for (const a of v2Addr) {
    await expect(page.locator(`tr[data-backend="${a}"]`)).toContainText('v2');
    await expect(page.getByRole('spinbutton', { name: `weight of ${a}` })).toHaveValue('1');
  }
  await expect(page.locator(`tr[data-backend="${addr(1)}"]`)).toHaveCount(0);
  await expect(page.locator(`tr[data-backend="${addr(2)}"]`)).toHaveCount(0);
  // And the data plane serves it.
  await expect.poll(getThroughPool, { timeout: 60_000 }).toBe('v2');
  await shot(page, 'pool-deploys');
});

test('a viewer sees the scaling rules and deploys but cannot change them', async ({ browser }) => {
  const context = await browser.newContext();
  const viewer = await context.newPage();
  await signIn(viewer, VIEWER);
  await viewer.getByRole('link', { name: 'shop' }).click();
  const rule = viewer.locator('tr[data-rule="rps"]');
  await expect(rule).toContainText('webhook');
  await expect(rule.getByRole('button', { name: 'Edit' })).toBeDisabled();
  await expect(rule.getByRole('button', { name: 'Delete' })).toBeDisabled();
  await expect(viewer.getByRole('button', { name: 'New scaling rule' })).toBeDisabled();
  await rule.getByRole('button', { name: 'History' }).click();
  await expect(viewer.getByText('scale up shop from 0 to 1 instance(s)')).toBeVisible();
  await expect(viewer.locator('tr[data-deploy="v2"] .deploy-status')).toHaveText('succeeded');
  await expect(viewer.locator('[data-step="done"]')).toBeVisible();
  await expect(viewer.getByRole('button', { name: 'Start deploy' })).toBeDisabled();
  await expect(viewer.getByLabel('Version', { exact: true })).toBeDisabled();
  // The server enforces it as well.
  const res = await viewer.request.post('/api/trpc/deploys.start', { data: { pool: 'shop', version: 'v3', backends: [{ host: '127.0.0.1', port: 1 }] } });
  expect(res.status()).toBe(403);
  await context.close();
});

test('aborting a running deploy from the dashboard rolls it back', async ({ page }) => {
  test.setTimeout(300_000);
  const v3 = await startServer((req, res) => {
    req.resume();
    res.end('v3');
  });
  const v3Addr = `127.0.0.1:${v3.port}`;
  await signIn(page, ADMIN);
  await page.getByRole('link', { name: 'shop' }).click();
  const section = page.locator('section.card', { has: page.getByRole('heading', { name: 'Deploys', exact: true }) });
  const form = section.getByRole('form', { name: 'Start a deploy' });
  await form.getByLabel('Version', { exact: true }).fill('v3');
  await form.getByLabel('New backends').fill(v3Addr);
  await form.getByLabel('Canary steps (%)').fill('20, 100');
  // Long enough that the canary is still at 20 % when the abort comes.
  await form.getByLabel('Pause before each gate (ms)').fill('120000');
  await form.getByRole('button', { name: 'Start deploy' }).click();
  const detail = section.locator('[data-deploy-detail="v3"]');
  await expect(detail.locator('[data-step="shift 20%"]')).toBeVisible({ timeout: 60_000 });
  await expect(page.locator(`tr[data-backend="${v3Addr}"]`)).toContainText('v3');

  await detail.getByRole('button', { name: 'Abort' }).click();
  await detail.getByRole('button', { name: 'Abort and roll back' }).click();
  await expect(detail.locator('.deploy-status')).toHaveText('aborted', { timeout: 60_000 });
  await expect(detail.locator('[data-step="rollback"]').last()).toContainText('removed 1 new one(s)');
  await expect(page.locator(`tr[data-backend="${v3Addr}"]`)).toHaveCount(0);
  await expect(section.locator('tr[data-deploy="v2"] .deploy-status')).toHaveText('succeeded');
  await expect.poll(getThroughPool, { timeout: 60_000 }).toBe('v2');
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

/** A tRPC mutation over plain HTTP with the page's session. */
const trpcPost = async <T>(page: Page, path: string, input: unknown): Promise<T> => {
  const res = await page.request.post(`/api/trpc/${path}`, { data: input });
  const body = (await res.json()) as { result?: { data: T }; error?: unknown };
  if (!body.result) throw new Error(`${path}: ${JSON.stringify(body.error)}`);
  return body.result.data;
};

/** The local data plane the control plane under test started: found by its bundle and this control plane's port, never by name alone. */
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

test('monitoring: all backends down shows ~100 % client errors with the 503 cause; a stopped data plane greys out as stale', async ({ page }) => {
  test.setTimeout(300_000);
  await signIn(page, ADMIN);
  const port = await freePort();
  const pair = [await startServer((req, res) => (req.resume(), res.end('a'))), await startServer((req, res) => (req.resume(), res.end('b')))];
  const healthCheck = { enabled: true, type: 'http', path: '/', intervalMs: 200, timeoutMs: 150, rise: 1, fall: 1 };
  const pool = await trpcPost<{ id: string }>(page, 'pools.create', { name: 'outage', listenHost: '127.0.0.1', listenPort: port, healthCheck });
  for (const b of pair) await trpcPost(page, 'backends.create', { poolId: pool.id, host: '127.0.0.1', port: b.port });

  // Bounded traffic: two loops, one request at a time each, for at most three minutes (a busy machine makes the steps slow).
  let stop = false;
  const statuses: number[] = [];
  const deadline = Date.now() + 180_000;
  const once = () =>
    new Promise<void>((resolve) => {
      const req = get({ host: '127.0.0.1', port, path: '/', timeout: 2000 }, (res) => {
        statuses.push(res.statusCode ?? 0);
        res.resume();
        res.on('end', () => resolve());
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve());
    });
  const loop = async () => {
    while (!stop && Date.now() < deadline) {
      await once();
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const traffic = Promise.all([loop(), loop()]);
  let frozen: number | undefined;
  try {
    await page.goto('/');
    const row = page.locator('tr[data-pool="outage"]');
    await expect(row.locator('td.errors')).toHaveText(/^0\.0%/, { timeout: 30_000 });
    await expect(row.locator('td.rps')).not.toHaveText(/^0/);

    for (const { server } of pair) {
      server.closeAllConnections();
      server.close();
    }
    const down = Date.now();
    await expect(row.locator('td.errors')).toHaveText(/^(9\d|100)\.\d%/, { timeout: 20_000 });
    await expect(row.locator('[data-cause="no_healthy_backend"]')).toContainText('503 no healthy backend', { timeout: 20_000 });
    console.log(`e2e: overview showed ~100 % client errors with the 503 cause ${Date.now() - down} ms after the last backend stopped`);
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(0);
    await shot(page, 'overview-outage');

    // The pool page says the same, from the client's side.
    await page.getByRole('link', { name: 'outage' }).click();
    await expect(page.locator('[data-live-summary] [data-figure="errors"]')).toHaveText(/^(9\d|100)\.\d %/, { timeout: 20_000 });
    await expect(page.locator('[data-live-summary] [data-cause="no_healthy_backend"]')).toContainText('no healthy backend');
    await page.getByRole('link', { name: 'Overview' }).click();
    await expect(row.locator('td.errors')).toHaveText(/^(9\d|100)\.\d%/, { timeout: 20_000 });

    // Freeze the data plane: its numbers stop, and the overview greys them out with since when and why.
    frozen = localDataplanePid();
    process.kill(frozen, 'SIGSTOP');
    const stopped = Date.now();
    await expect(row).toHaveAttribute('data-stale', 'true', { timeout: 20_000 });
    await expect(row.locator('[data-stale-note]')).toContainText(/no data since \d\d:\d\d:\d\d \(data plane local (stopped reporting|disconnected)\)/, { timeout: 20_000 });
    console.log(`e2e: overview marked the pool stale ${Date.now() - stopped} ms after the data plane stopped`);
    await shot(page, 'overview-stale');
  } finally {
    if (frozen !== undefined) process.kill(frozen, 'SIGCONT');
    stop = true;
    await traffic;
  }
  // Back: the row is live again.
  await expect(page.locator('tr[data-pool="outage"]')).not.toHaveAttribute('data-stale', 'true', { timeout: 60_000 });
});
