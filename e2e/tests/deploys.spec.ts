import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { area, editPoolConfig, expect, openPoolSection, shot, signIn, signedInElsewhere, test, uniqueName } from '../support/fixtures';
import { freePortRange } from '../support/free-port';
import { killProcessesNaming, processesNaming } from '../support/processes';
import { bodyThrough } from '../support/traffic';
import { trpcMutation, trpcQuery } from '../support/trpc';

area('deploys', () => {
  test('a canary deploy started in the dashboard shifts traffic step by step to new backends and succeeds; a viewer sees it and cannot start one', async ({ page, browser, users, pools, backend }) => {
    test.setTimeout(480_000);
    const v1 = [await backend('v1'), await backend('v1')];
    const pool = await pools.create({ backends: v1, config: { algorithm: 'least_connections' } });
    const v2 = [await backend('v2'), await backend('v2')];
    await signIn(page, users.admin);
    await page.getByRole('row').getByRole('link', { name: pool.name, exact: true }).click();
    await openPoolSection(page, 'Deploys');
    const section = page.locator('section.card', { has: page.getByRole('heading', { name: 'Deploys', exact: true }) });
    await expect(section.getByText('No deploys yet')).toBeVisible();
    const form = section.getByRole('form', { name: 'Start a deploy' });
    const fillForm = async () => {
      await form.getByLabel('Version', { exact: true }).fill('v2');
      await form.getByLabel('New backends').fill(`${v2[0]!.addr}\n127.0.0.1`);
      await form.getByLabel('Canary steps (%)').fill('50, 100');
      await form.getByLabel('Pause before each gate (ms)').fill('1000');
      await form.getByLabel('Old version drain (ms)').fill('2000');
      // No traffic in this test: the gates pass on health checks only when asked to.
      await form.getByLabel('Minimum requests per gate').fill('0');
    };
    await fillForm();
    await form.getByRole('button', { name: 'Start deploy' }).click();
    await expect(form.locator('[data-field="backends"] .field-error')).toContainText('line 2: port must be a number');

    // The server knows the pool: least connections ignores weights, so a canary cannot shift traffic.
    await form.getByLabel('New backends').fill(v2.map((b) => b.addr).join('\n'));
    await form.getByRole('button', { name: 'Start deploy' }).click();
    await expect(form.locator('[data-field="strategy"] .field-error')).toContainText('ignores weights');
    expect(await trpcQuery(page.request, 'deploys.list', { pool: pool.name })).toEqual([]);

    await editPoolConfig(page);
    await page.getByLabel('Algorithm').selectOption('weighted_least_connections');
    await page.getByRole('button', { name: 'Save pool' }).click();
    await expect(page.getByText('Pool saved')).toBeVisible();
    await openPoolSection(page, 'Deploys');
    await fillForm();
    await form.getByLabel('New backends').fill(v2.map((b) => b.addr).join('\n'));
    await form.getByRole('button', { name: 'Start deploy' }).click();
    await expect(page.getByText('Deploy of v2 started')).toBeVisible();
    await expect(section.locator('tr[data-deploy="v2"]')).toBeVisible();

    const detail = section.locator('[data-deploy-detail="v2"]');
    await expect(detail.locator('[data-step="shift 50%"]')).toBeVisible({ timeout: 60_000 });
    await expect(detail.locator('.deploy-status')).toHaveText('succeeded', { timeout: 60_000 });
    for (const step of ['plan', 'healthy', 'gate 50%', 'shift 100%', 'gate 100%', 'drain', 'remove old', 'done']) await expect(detail.locator(`[data-step="${step}"]`)).toBeVisible();
    await expect(section.locator('tr[data-deploy="v2"] .deploy-status')).toHaveText('succeeded');
    await expect(detail.getByRole('button', { name: 'Abort' })).toHaveCount(0);

    // The new version is in the backends table at its own weight; the old ones are gone.
    await openPoolSection(page, 'Backends');
    for (const b of v2) {
      await expect(page.locator(`tr[data-backend="${b.addr}"]`)).toContainText('v2');
      await expect(page.getByRole('spinbutton', { name: `weight of ${b.addr}` })).toHaveValue('1');
    }
    for (const b of v1) await expect(page.locator(`tr[data-backend="${b.addr}"]`)).toHaveCount(0);
    // And the data plane serves it.
    await expect.poll(() => bodyThrough(pool.listenPort), { timeout: 60_000 }).toBe('v2');
    await shot(page, 'pool-deploys');

    await signedInElsewhere(browser, users.viewer, async (viewer) => {
      await viewer.getByRole('row').getByRole('link', { name: pool.name, exact: true }).click();
      await openPoolSection(viewer, 'Deploys');
      await expect(viewer.locator('tr[data-deploy="v2"] .deploy-status')).toHaveText('succeeded');
      await expect(viewer.locator('[data-step="done"]')).toBeVisible();
      await expect(viewer.getByRole('button', { name: 'Start deploy' })).toBeDisabled();
      await expect(viewer.getByLabel('Version', { exact: true })).toBeDisabled();
      // The server enforces it as well.
      const res = await viewer.request.post('/api/trpc/deploys.start', { data: { pool: pool.name, version: 'v3', backends: [{ host: '127.0.0.1', port: 1 }] } });
      expect(res.status()).toBe(403);
    });
  });

  test('aborting a running deploy from the dashboard rolls it back', async ({ page, users, pools, backend }) => {
    test.setTimeout(480_000);
    const pool = await pools.create({ backends: [await backend('v1')], config: { algorithm: 'weighted_least_connections' } });
    const v3 = await backend('v3');
    await signIn(page, users.admin);
    await page.getByRole('row').getByRole('link', { name: pool.name, exact: true }).click();
    await openPoolSection(page, 'Deploys');
    const section = page.locator('section.card', { has: page.getByRole('heading', { name: 'Deploys', exact: true }) });
    const form = section.getByRole('form', { name: 'Start a deploy' });
    await form.getByLabel('Version', { exact: true }).fill('v3');
    await form.getByLabel('New backends').fill(v3.addr);
    await form.getByLabel('Canary steps (%)').fill('20, 100');
    // Long enough that the canary is still at 20 % when the abort comes.
    await form.getByLabel('Pause before each gate (ms)').fill('120000');
    await form.getByRole('button', { name: 'Start deploy' }).click();
    const detail = section.locator('[data-deploy-detail="v3"]');
    await expect(detail.locator('[data-step="shift 20%"]')).toBeVisible({ timeout: 60_000 });
    await expect.poll(async () => (await trpcQuery<{ versionLabel: string | null }[]>(page.request, 'backends.list', { poolId: pool.id })).some((b) => b.versionLabel === 'v3')).toBe(true);

    await detail.getByRole('button', { name: 'Abort' }).click();
    await detail.getByRole('button', { name: 'Abort and roll back' }).click();
    await expect(detail.locator('.deploy-status')).toHaveText('aborted', { timeout: 60_000 });
    await expect(detail.locator('[data-step="rollback"]').last()).toContainText('removed 1 new one(s)');
    await openPoolSection(page, 'Backends');
    await expect(page.locator(`tr[data-backend="${v3.addr}"]`)).toHaveCount(0);
    await expect.poll(() => bodyThrough(pool.listenPort), { timeout: 60_000 }).toBe('v1');
  });

  test('a rolling deploy started in the dashboard starts the new version through the process provider, each healthy before an old one goes', async ({ page, users, pools, api }) => {
    test.setTimeout(480_000);
    // A backend that answers its version; the process provider starts it as `{port} {version}`.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fulcrum-e2e-rolling-'));
    const script = path.join(dir, 'versioned.cjs');
    writeFileSync(
      script,
      "const [port, version] = process.argv.slice(2);\nrequire('http').createServer((req, res) => res.end(version)).listen(Number(port), '127.0.0.1');\nprocess.on('SIGTERM', () => process.exit(0));\n",
    );
    let rule: { poolId: string; id: string } | undefined;
    try {
      const profile = uniqueName('versioned');
      const portStart = await freePortRange(41);
      await trpcMutation(api, 'providerProfiles.create', {
        name: profile,
        spec: {
          kind: 'process',
          argv: [process.execPath, script, '{port}', '{version}'],
          portRangeStart: portStart,
          portRangeEnd: portStart + 40,
          parameters: [{ name: 'version', type: 'string', pattern: 'v[0-9]+' }],
        },
      });
      const pool = await pools.create({ config: { healthCheck: { path: '/', intervalMs: 500, rise: 1 }, drainTimeoutMs: 2000 } });
      const fleet = { name: 'fleet', metric: 'cpu_percent', scaleUpThreshold: 80, scaleDownThreshold: 20, minInstances: 2, maxInstances: 4, provider: { profile, params: { version: 'v1' } } };
      const created = await trpcMutation<{ id: string; version: number }>(api, 'scaling.create', { poolId: pool.id, rule: fleet });
      rule = { poolId: pool.id, id: created.id };
      const versions = async () =>
        (await trpcQuery<{ versionLabel: string | null }[]>(api, 'backends.list', { poolId: pool.id }))
          .map((b) => b.versionLabel ?? 'none')
          .sort()
          .join(',');
      // The rule's minimum starts two v1 instances.
      await expect.poll(versions, { timeout: 120_000 }).toBe('v1,v1');
      await expect.poll(() => bodyThrough(pool.listenPort), { timeout: 60_000 }).toBe('v1');

      await signIn(page, users.admin);
      await page.getByRole('row').getByRole('link', { name: pool.name, exact: true }).click();
      await openPoolSection(page, 'Deploys');
      const section = page.locator('section.card', { has: page.getByRole('heading', { name: 'Deploys', exact: true }) });
      const form = section.getByRole('form', { name: 'Start a deploy' });
      await form.getByLabel('Strategy').selectOption('rolling');
      await expect(form.getByLabel('New backends')).toHaveCount(0);
      // The profile's pattern guards what {version} may become.
      await form.getByLabel('Version', { exact: true }).fill('latest; rm -rf /');
      await form.getByLabel('Pause before each gate (ms)').fill('1000');
      await form.getByLabel('Old version drain (ms)').fill('2000');
      await form.getByLabel('Minimum requests per gate').fill('0');
      await form.getByRole('button', { name: 'Start deploy' }).click();
      await expect(form.locator('[data-field="version"] .field-error')).toContainText('must match');

      await form.getByLabel('Version', { exact: true }).fill('v2');
      await form.getByLabel('Max surge').fill('1');
      await form.getByRole('button', { name: 'Start deploy' }).click();
      await expect(page.getByText('Deploy of v2 started')).toBeVisible();
      const detail = section.locator('[data-deploy-detail="v2"]');
      await expect(detail.locator('.deploy-status')).toHaveText('succeeded', { timeout: 240_000 });
      for (const step of ['plan', 'start round 1', 'healthy round 1', 'join round 1', 'gate round 1', 'retire', 'done']) await expect(detail.locator(`[data-step="${step}"]`).first()).toBeVisible();
      await expect.poll(versions, { timeout: 60_000 }).toBe('v2,v2');
      await expect.poll(() => bodyThrough(pool.listenPort), { timeout: 60_000 }).toBe('v2');
      await shot(page, 'pool-rolling-deploy');
    } finally {
      try {
        if (rule) {
          const { poolId, id } = rule;
          const current = (await trpcQuery<{ id: string; version: number }[]>(api, 'scaling.list', { poolId }).catch(() => [])).find((r) => r.id === id);
          if (current) await trpcMutation(api, 'scaling.delete', { id, expectedVersion: current.version });
        }
      } finally {
        // Deleting the rule ends its evaluation; the instances it started keep serving (README,
        // Autoscaling), so the test stops its own. Soft: a process left behind is reported beside
        // whatever failed above, never instead of it.
        killProcessesNaming(script);
        await expect.soft.poll(() => processesNaming(script), { timeout: 30_000, message: `no process left running ${script}` }).toEqual([]);
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });
});
