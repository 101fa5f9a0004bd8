import type { Dialog } from '@playwright/test';
import { area, editPoolConfig, expect, openPoolSection, signIn, test } from '../support/fixtures';

/** The pool page in sections: the section in the URL, the config read-only until Edit, leaving unsaved edits asks first, a real 404 for unknown pools. */
area('the pool page', () => {
  test('sections live in the URL, survive a reload, and only the overview draws client charts', async ({ page, users, pools, backend }, testInfo) => {
    const b = await backend('one');
    const pool = await pools.create({ backends: [b] });
    await signIn(page, users.admin);
    await page.getByRole('row').getByRole('link', { name: pool.name, exact: true }).click();
    await expect(page).toHaveTitle(`${pool.name} · Pools · Fulcrum`);
    await expect(page.getByRole('heading', { name: 'Live traffic' })).toBeVisible();
    // Hidden sections are not mounted at all.
    await expect(page.getByRole('button', { name: 'Save pool' })).toHaveCount(0);
    await expect(page.locator(`tr[data-backend="${b.addr}"]`)).toHaveCount(0);

    await openPoolSection(page, 'Backends');
    await expect(page).toHaveURL(new RegExp(`/pools/${pool.id}\\?section=backends$`));
    await expect(page.locator(`tr[data-backend="${b.addr}"]`)).toBeVisible();
    await expect(page.getByRole('heading', { name: 'Live traffic' })).toHaveCount(0);
    await expect(page).toHaveTitle(`Backends · ${pool.name} · Pools · Fulcrum`);

    await page.reload();
    await expect(page.locator(`tr[data-backend="${b.addr}"]`)).toBeVisible();
    await expect(page.getByRole('navigation', { name: 'Pool sections' }).getByRole('link', { name: 'Backends' })).toHaveAttribute('aria-current', 'page');

    // A link straight to a section.
    await page.goto(`/pools/${pool.id}?section=events`);
    await expect(page.getByRole('heading', { name: 'Events', exact: true })).toBeVisible();
    await testInfo.attach('pool-events-section', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });
  });

  test('the config is read-only until Edit; leaving with unsaved changes asks first, and Cancel keeps the edit', async ({ page, users, pools }, testInfo) => {
    const pool = await pools.create();
    await signIn(page, users.admin);
    await page.goto(`/pools/${pool.id}?section=config`);
    const slowStart = page.getByLabel('Slow start (ms)');
    await expect(slowStart).toBeDisabled();
    await expect(page.getByRole('button', { name: 'Save pool' })).toBeDisabled();

    // Nothing changed yet: leaving asks nothing.
    await editPoolConfig(page);
    let asked: Dialog | undefined;
    page.on('dialog', (d) => {
      asked = d;
      void d.dismiss();
    });
    await openPoolSection(page, 'Events');
    expect(asked).toBeUndefined();

    await editPoolConfig(page);
    await slowStart.fill('4321');
    await testInfo.attach('pool-config-editing', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });
    // Another section: asked, dismissed, so the page and the typed value stay.
    await page.getByRole('navigation', { name: 'Pool sections' }).getByRole('link', { name: 'Deploys' }).click();
    await expect.poll(() => asked?.message()).toContain('unsaved changes');
    await expect(page).toHaveURL(/section=config$/);
    await expect(slowStart).toHaveValue('4321');
    // The main navigation is guarded too.
    asked = undefined;
    await page.getByRole('navigation', { name: 'main' }).getByRole('link', { name: 'Revisions' }).click();
    await expect.poll(() => asked?.type()).toBe('confirm');
    await expect(slowStart).toHaveValue('4321');

    // Closing the tab asks as well (beforeunload).
    asked = undefined;
    await page.close({ runBeforeUnload: true });
    await expect.poll(() => asked?.type()).toBe('beforeunload');
  });

  test('saving records the reason with the revision and shows the form read-only again', async ({ page, users, pools }) => {
    const pool = await pools.create();
    await signIn(page, users.admin);
    await page.goto(`/pools/${pool.id}?section=config`);
    await editPoolConfig(page);
    await page.getByLabel('Slow start (ms)').fill('2500');
    await page.getByLabel(/Reason for this change/).fill('warm caches first');
    await page.getByRole('button', { name: 'Save pool' }).click();
    await expect(page.getByText('Pool saved')).toBeVisible();
    await expect(page.getByLabel('Slow start (ms)')).toBeDisabled();
    await expect(page.getByLabel('Slow start (ms)')).toHaveValue('2500');
    await page.getByRole('navigation', { name: 'main' }).getByRole('link', { name: 'Revisions' }).click();
    await expect(page.locator('tr[data-revision]').first()).toContainText('warm caches first');
  });

  test('an unknown pool id or listener name is a 404 page (and status) at once', async ({ page, users }, testInfo) => {
    await signIn(page, users.admin);
    const answer = await page.goto('/pools/00000000-0000-4000-8000-000000000000');
    expect(answer?.status()).toBe(404); // the status too, not only the words: links checkers and monitors read it
    await expect(page.getByRole('heading', { name: '404 — not found' })).toBeVisible();
    await expect(page.getByText('Loading pool')).toHaveCount(0);
    await testInfo.attach('pool-404', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });
    expect((await page.goto('/pools/not-an-id'))?.status()).toBe(404);
    await expect(page.getByRole('heading', { name: '404 — not found' })).toBeVisible();
    expect((await page.goto('/listeners/no-such-listener'))?.status()).toBe(404);
    await expect(page.getByRole('heading', { name: '404 — not found' })).toBeVisible();
  });
});
