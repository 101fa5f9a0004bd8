import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Page, expect, test } from '@playwright/test';
import { freePort } from '../support/free-port';

// This spec makes its own admin (when the database has none), profile, pool and rule, with names
// of its own, so it runs alone or after any other spec.
const RUN = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
const ADMIN = { email: 'admin@example.com', name: 'Ada Admin', password: 'correct horse battery' };
const POOL = `roll-${RUN}`;
const PROFILE = `versioned-${RUN}`;

/** A backend that answers its version on every path; the process provider starts it with `{port} {version}`. */
const BACKEND = `
const [port, version] = process.argv.slice(2);
require('http').createServer((req, res) => res.end(version)).listen(Number(port), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;
const dir = mkdtempSync(path.join(os.tmpdir(), 'fulcrum-e2e-rolling-'));
const script = path.join(dir, 'versioned.cjs');
writeFileSync(script, BACKEND);
test.afterAll(() => rmSync(dir, { recursive: true, force: true }));

const trpcPost = async <T>(page: Page, p: string, input: unknown): Promise<T> => {
  const res = await page.request.post(`/api/trpc/${p}`, { data: input });
  const body = (await res.json()) as { result?: { data: T }; error?: unknown };
  if (!body.result) throw new Error(`${p}: ${JSON.stringify(body.error)}`);
  return body.result.data;
};
const trpcGet = async <T>(page: Page, p: string, input: unknown): Promise<T> =>
  ((await (await page.request.get(`/api/trpc/${p}?input=${encodeURIComponent(JSON.stringify(input))}`)).json()) as { result: { data: T } }).result.data;

/** Signs in as the admin, creating it first when this database has no user yet. */
async function signInAdmin(page: Page): Promise<void> {
  const status = ((await (await page.request.get('/api/trpc/auth.status')).json()) as { result: { data: { needsSetup: boolean } } }).result.data;
  if (status.needsSetup) await trpcPost(page, 'auth.setup', ADMIN);
  await page.goto('/login');
  await page.getByLabel('Email').fill(ADMIN.email);
  await page.getByLabel('Password').fill(ADMIN.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Pools' })).toBeVisible();
}

test('a rolling deploy started in the dashboard starts the new version through the process provider, healthy before each old one goes', async ({ page }) => {
  test.setTimeout(300_000);
  await signInAdmin(page);
  const portStart = await freePort();
  await trpcPost(page, 'providerProfiles.create', {
    name: PROFILE,
    spec: { kind: 'process', argv: [process.execPath, script, '{port}', '{version}'], portRangeStart: portStart, portRangeEnd: portStart + 40, parameters: [{ name: 'version', type: 'string', pattern: 'v[0-9]+' }] },
  });
  const pool = await trpcPost<{ id: string }>(page, 'pools.create', { name: POOL, listenHost: '127.0.0.1', listenPort: await freePort(), healthCheck: { path: '/', intervalMs: 500, rise: 1 }, drainTimeoutMs: 2000 });
  await trpcPost(page, 'scaling.create', {
    poolId: pool.id,
    rule: { name: 'fleet', metric: 'cpu_percent', scaleUpThreshold: 80, scaleDownThreshold: 20, minInstances: 2, maxInstances: 4, provider: { profile: PROFILE, params: { version: 'v1' } } },
  });
  const versions = async () => (await trpcGet<{ versionLabel: string | null; adminState: string }[]>(page, 'backends.list', { poolId: pool.id })).map((b) => b.versionLabel ?? 'none').sort().join(',');
  // The rule's minimum starts two v1 instances.
  await expect.poll(versions, { timeout: 120_000 }).toBe('v1,v1');

  await page.goto('/');
  await page.getByRole('link', { name: POOL }).click();
  const section = page.locator('section.card', { has: page.getByRole('heading', { name: 'Deploys', exact: true }) });
  const form = section.getByRole('form', { name: 'Start a deploy' });
  await form.getByLabel('Strategy').selectOption('rolling');
  await expect(form.getByLabel('New backends')).toHaveCount(0);
  // The profile's pattern guards what {version} may become.
  await form.getByLabel('Version', { exact: true }).fill('latest; rm -rf /');
  await form.getByLabel('Pause before each gate (ms)').fill('1000');
  await form.getByLabel('Old version drain (ms)').fill('2000');
  await form.getByRole('button', { name: 'Start deploy' }).click();
  await expect(form.locator('[data-field="version"] .field-error')).toContainText('must match');

  await form.getByLabel('Version', { exact: true }).fill('v2');
  await form.getByLabel('Max surge').fill('1');
  await form.getByRole('button', { name: 'Start deploy' }).click();
  await expect(page.getByText('Deploy of v2 started')).toBeVisible();
  const detail = section.locator('[data-deploy-detail="v2"]');
  await expect(detail.locator('.deploy-status')).toHaveText('succeeded', { timeout: 240_000 });
  for (const step of ['plan', 'start round 1', 'healthy round 1', 'join round 1', 'gate round 1', 'retire', 'start round 2', 'done']) await expect(detail.locator(`[data-step="${step}"]`).first()).toBeVisible();
  await expect.poll(versions, { timeout: 60_000 }).toBe('v2,v2');
});
