import { type Server, createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { type APIRequestContext, expect, test } from '@playwright/test';
import { freePort } from '../support/free-port';

// Independent of every other spec: its own pool and backend, unique names; the admin is made
// through the first-run API when this runs first, else signed in.
const ADMIN = { email: 'admin@example.com', name: 'Ada Admin', password: 'correct horse battery' };
const unique = randomBytes(4).toString('hex');

async function trpc<T>(request: APIRequestContext, path: string, input: unknown): Promise<T> {
  const res = await request.post(`/api/trpc/${path}`, { data: input });
  const body = (await res.json()) as { result?: { data: T }; error?: unknown };
  if (!res.ok() || !body.result) throw new Error(`${path}: ${res.status()} ${JSON.stringify(body.error)}`);
  return body.result.data;
}

async function signInAsAdmin(request: APIRequestContext): Promise<void> {
  const status = (await (await request.get('/api/trpc/auth.status')).json()) as { result: { data: { needsSetup: boolean } } };
  if (status.result.data.needsSetup) await trpc(request, 'auth.setup', ADMIN);
  else await trpc(request, 'auth.login', { email: ADMIN.email, password: ADMIN.password });
}

let backend: Server;
test.afterAll(() => backend?.close());

test('the live tail shows a request made during the test, filters it and pauses', async ({ page }) => {
  backend = createServer((req, res) => {
    req.resume();
    res.end('tail backend');
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  const backendPort = (backend.address() as { port: number }).port;

  await signInAsAdmin(page.request);
  const listenPort = await freePort();
  const pool = await trpc<{ id: string }>(page.request, 'pools.create', { name: `tail-${unique}`, listenHost: '127.0.0.1', listenPort, healthCheck: { enabled: false } });
  await trpc(page.request, 'backends.create', { poolId: pool.id, host: '127.0.0.1', port: backendPort });
  // The local data plane serves the new pool once it applied the revision.
  await expect(async () => {
    const res = await fetch(`http://127.0.0.1:${listenPort}/warmup`);
    expect(await res.text()).toBe('tail backend');
  }).toPass({ timeout: 60_000 });

  await page.goto(`/pools/${pool.id}?section=events`);
  const panel = page.getByTestId('live-tail');
  await expect(panel.getByText('Waiting for requests…')).toBeVisible();
  const path = `/seen-in-the-tail-${unique}`;
  // The data plane learns of the watcher over the link: until then a request is not tailed, so ask again until one shows.
  await expect(async () => {
    await fetch(`http://127.0.0.1:${listenPort}${path}?n=${Date.now()}`);
    await expect(panel.locator('tr', { hasText: path }).first()).toBeVisible({ timeout: 3_000 });
  }).toPass({ timeout: 60_000 });
  const row = panel.locator('tr', { hasText: path }).first();
  await expect(row).toContainText('200');
  await expect(row).toContainText(`127.0.0.1:${backendPort}`);
  await expect(row).toContainText('normal');

  // Filters: a path that matches nothing hides it; the 2xx class and its backend keep it.
  await panel.getByLabel('Path contains').fill('no-such-path');
  await expect(panel.locator('tr', { hasText: path })).toHaveCount(0);
  await panel.getByLabel('Path contains').fill('seen-in-the-tail');
  await panel.getByLabel('Status class').selectOption('2xx');
  await panel.getByLabel('Backend').selectOption(`127.0.0.1:${backendPort}`);
  await expect(row).toBeVisible();
  await panel.getByLabel('Status class').selectOption('5xx');
  await expect(panel.locator('tr', { hasText: path })).toHaveCount(0);
  await panel.getByLabel('Status class').selectOption('all');
  await panel.getByLabel('Path contains').fill('');
  await panel.getByLabel('Backend').selectOption('');

  // Paused: the lines stay, new requests do not arrive.
  await panel.getByRole('button', { name: 'Pause' }).click();
  await expect(panel.getByText(/paused/)).toBeVisible();
  const after = `/after-pause-${unique}`;
  await fetch(`http://127.0.0.1:${listenPort}${after}`);
  await expect(row).toBeVisible();
  await panel.getByRole('button', { name: 'Resume' }).click();
  await expect(async () => {
    await fetch(`http://127.0.0.1:${listenPort}${after}?n=${Date.now()}`);
    await expect(panel.locator('tr', { hasText: after }).first()).toBeVisible({ timeout: 3_000 });
  }).toPass({ timeout: 60_000 });

  // Leaves nothing behind for other specs.
  const current = (await (await page.request.get(`/api/trpc/pools.get?input=${encodeURIComponent(JSON.stringify({ id: pool.id }))}`)).json()) as { result: { data: { version: number } } };
  await trpc(page.request, 'pools.delete', { id: pool.id, expectedVersion: current.result.data.version });
});
