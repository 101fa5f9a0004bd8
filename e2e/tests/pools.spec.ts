import { area, editPoolConfig, expect, openPoolSection, shot, signIn, signedInElsewhere, test, uniqueName } from '../support/fixtures';
import { trpcQuery } from '../support/trpc';

area('pools and revisions', () => {
  test('an admin creates a pool and three backends in the browser', async ({ page, users, pools, backend }) => {
    const name = uniqueName('shop');
    pools.track(name);
    const bs = [await backend('one'), await backend('two'), await backend('three')];
    await signIn(page, users.admin);
    await page.getByRole('link', { name: 'New pool' }).click();
    await page.getByLabel('Name', { exact: true }).fill(name);
    await page.getByLabel('Listen address').fill('127.0.0.1');
    await page.getByLabel('Listen port').fill(String(await pools.freeListenPort()));
    await page.getByLabel('Algorithm').selectOption('least_connections');
    await expect(page.getByText('The backend with the fewest active connections.')).toBeVisible();
    await page.getByRole('button', { name: 'Create pool' }).click();
    await expect(page.getByRole('heading', { name })).toBeVisible();
    await openPoolSection(page, 'Backends');
    for (const b of bs) {
      await page.getByLabel('Host').fill('127.0.0.1');
      await page.getByLabel('Port', { exact: true }).fill(String(b.port));
      await page.getByRole('button', { name: 'Add backend' }).click();
      await expect(page.locator(`tr[data-backend="${b.addr}"]`)).toBeVisible();
    }
    await page.locator(`tr[data-backend="${bs[1]!.addr}"]`).getByRole('button', { name: 'Drain' }).click();
    await expect(page.locator(`tr[data-backend="${bs[1]!.addr}"] .state`)).toHaveText('draining');
    await shot(page, 'pool');
  });

  test('an invalid form shows the field error and saves nothing', async ({ page, users, pools, backend }) => {
    const b = await backend('one');
    const pool = await pools.create({ backends: [b] });
    await signIn(page, users.admin);
    await page.getByRole('row').getByRole('link', { name: pool.name, exact: true }).click();
    const newest = async () => (await trpcQuery<{ version: number }[]>(page.request, 'revisions.list', { limit: 1 }))[0]?.version;
    const before = await newest();

    await editPoolConfig(page);
    await page.getByRole('textbox', { name: 'Path', exact: true }).fill('no-leading-slash');
    await page.getByRole('button', { name: 'Save pool' }).click();
    await expect(page.locator('[data-field="healthCheck.path"] .field-error')).toContainText('must start with /');

    // A server-side rule (duplicate backend) comes back beside the field too.
    page.once('dialog', (d) => void d.accept()); // leaving the edited config asks first
    await openPoolSection(page, 'Backends');
    await page.getByLabel('Host').fill('127.0.0.1');
    await page.getByLabel('Port', { exact: true }).fill(String(b.port));
    await page.getByRole('button', { name: 'Add backend' }).click();
    await expect(page.locator('[data-field="port"] .field-error')).toContainText('already has a backend');

    expect(await newest()).toBe(before);
  });

  test('rolling back a revision restores the earlier configuration', async ({ page, users, pools, backend }) => {
    const bs = [await backend('one'), await backend('two')];
    const pool = await pools.create({ backends: bs });
    await signIn(page, users.admin);
    await page.getByRole('row').getByRole('link', { name: pool.name, exact: true }).click();
    await openPoolSection(page, 'Backends');
    await page.locator(`tr[data-backend="${bs[1]!.addr}"]`).getByRole('button', { name: 'Drain' }).click();
    await expect(page.locator(`tr[data-backend="${bs[1]!.addr}"] .state`)).toHaveText('draining');
    // The drain is the newest revision; restore the one just before it.
    const drain = (await trpcQuery<{ version: number }[]>(page.request, 'revisions.list', { limit: 1 }))[0]!.version;
    const before = drain - 1;

    await page.getByRole('link', { name: 'Revisions' }).click();
    await page.locator(`tr[data-revision="${drain}"]`).getByRole('button', { name: 'Diff' }).click();
    await expect(page.getByText(`.backends.${bs[1]!.addr}.adminState`)).toBeVisible();
    await shot(page, 'revisions');
    await page.locator(`tr[data-revision="${before}"]`).getByRole('button', { name: 'Roll back' }).click();
    await page.getByRole('button', { name: `Restore ${before}` }).click();
    const rollback = page.locator(`tr[data-revision="${drain + 1}"]`);
    await expect(rollback).toContainText(`roll back to revision ${before}`);
    // The running data plane applies the rollback like any other revision.
    await expect(rollback.locator('.applied')).toContainText('fully applied', { timeout: 60_000 });
    await expect(rollback.locator('.applied')).toContainText('local');
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('row').getByRole('link', { name: pool.name, exact: true }).click();
    await openPoolSection(page, 'Backends');
    await expect(page.locator(`tr[data-backend="${bs[1]!.addr}"] .state`)).toHaveText('active');
  });

  test('a stale edit is refused: "Someone else changed this — reload"', async ({ page, browser, users, pools }) => {
    const pool = await pools.create();
    await signIn(page, users.admin);
    await page.getByRole('row').getByRole('link', { name: pool.name, exact: true }).click();
    await editPoolConfig(page);

    await signedInElsewhere(browser, users.admin, async (other) => {
      await other.getByRole('row').getByRole('link', { name: pool.name, exact: true }).click();
      await editPoolConfig(other);
      await other.getByLabel('Slow start (ms)').fill('5000');
      await other.getByRole('button', { name: 'Save pool' }).click();
      await expect(other.getByText('Pool saved')).toBeVisible();
    });

    await page.getByLabel('Drain timeout (ms)').fill('12000');
    await page.getByRole('button', { name: 'Save pool' }).click();
    await expect(page.locator('.toast-error')).toHaveText('Someone else changed this — reload.');
    await page.getByRole('button', { name: 'Reload' }).click();
    await expect(page.getByLabel('Slow start (ms)')).toHaveValue('5000');
    await page.getByRole('button', { name: 'Edit', exact: true }).click();
    await page.getByLabel('Drain timeout (ms)').fill('12000');
    await page.getByRole('button', { name: 'Save pool' }).click();
    await expect(page.getByText('Pool saved')).toBeVisible();
    await expect(page.getByLabel('Drain timeout (ms)')).toHaveValue('12000');
  });

  test('the main pages at desktop and phone width, without sideways scrolling', async ({ page, users, pools, backend }) => {
    const pool = await pools.create({ backends: [await backend('one')] });
    await signIn(page, users.admin);
    const pages: [string, string][] = [
      ['overview', '/'],
      ['revisions', '/revisions'],
      ['events', '/events'],
      ['dataplanes', '/dataplanes'],
      ['settings', '/settings'],
    ];
    for (const [width, suffix] of [
      [1280, ''],
      [390, '-phone'],
    ] as const) {
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
      await page.getByRole('row').getByRole('link', { name: pool.name, exact: true }).click();
      await expect(page.getByRole('heading', { name: new RegExp(pool.name) })).toBeVisible();
      await shot(page, `pool${suffix}`);
    }
  });
});
