import { area, editPoolConfig, expect, openPoolSection, signIn, test, uniqueName } from '../support/fixtures';
import { trpcQuery } from '../support/trpc';

const newestRevision = async (request: Parameters<typeof trpcQuery>[0]) => (await trpcQuery<{ version: number }[]>(request, 'revisions.list', { limit: 1 }))[0]?.version;

/** Forms answer every submit where the operator looks: the first error scrolled to and focused, human words, nothing lost, nothing silently defaulted. */
area('forms', () => {
  test('an empty new-pool submit shows its errors and focuses the first; a cleared number is an error, not a default', async ({ page, users, pools }, testInfo) => {
    await signIn(page, users.admin);
    await page.getByRole('link', { name: 'New pool' }).click();
    const before = (await trpcQuery<unknown[]>(page.request, 'pools.list')).length;
    await page.getByRole('button', { name: 'Create pool' }).click();
    await expect(page.locator('[data-field="name"] .field-error')).toContainText('name is required');
    await expect(page.getByLabel('Name', { exact: true })).toBeFocused();
    await expect(page.locator('[data-form-error]')).toContainText('needs attention');
    await testInfo.attach('new-pool-empty-submit', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });

    const name = uniqueName('forms');
    pools.track(name);
    await page.getByLabel('Name', { exact: true }).fill(name);
    await page.getByLabel('Interval (ms)').fill('');
    // From the bottom of the page: the error far above is scrolled into view and focused.
    await page.getByRole('button', { name: 'Create pool' }).scrollIntoViewIfNeeded();
    await page.getByRole('button', { name: 'Create pool' }).click();
    const interval = page.getByLabel('Interval (ms)');
    await expect(page.locator('[data-field="healthCheck.intervalMs"] .field-error')).toHaveText('Enter a number');
    await expect(interval).toBeFocused();
    await expect(interval).toBeInViewport();
    expect((await trpcQuery<unknown[]>(page.request, 'pools.list')).length).toBe(before);
  });

  test("a server's refusal on the config form is scrolled to and focused", async ({ page, users, pools }) => {
    const other = await pools.create();
    const pool = await pools.create();
    await signIn(page, users.admin);
    await page.goto(`/pools/${pool.id}?section=config`);
    await editPoolConfig(page);
    // Only the server knows the name is taken.
    await page.getByLabel('Name', { exact: true }).fill(other.name);
    await page.getByRole('button', { name: 'Save pool' }).scrollIntoViewIfNeeded();
    await page.getByRole('button', { name: 'Save pool' }).click();
    await expect(page.locator('[data-field="name"] .field-error')).toBeVisible();
    await expect(page.getByLabel('Name', { exact: true })).toBeFocused();
    await expect(page.getByLabel('Name', { exact: true })).toBeInViewport();
    await expect(page.locator('.toast-error')).not.toContainText(/\b(patch|config)\./);
  });

  test('add-backend keeps what was typed until the server accepts; an inline weight of 0 is refused in words and not saved', async ({ page, users, pools, backend }, testInfo) => {
    const b = await backend('one');
    const pool = await pools.create({ backends: [b] });
    await signIn(page, users.admin);
    await page.goto(`/pools/${pool.id}?section=backends`);
    await expect(page.locator(`tr[data-backend="${b.addr}"]`)).toBeVisible();
    const before = await newestRevision(page.request);

    // A duplicate: refused by the server, the fields still hold what was typed.
    await page.getByLabel('Host').fill('127.0.0.1');
    await page.getByLabel('Port', { exact: true }).fill(String(b.port));
    await page.getByRole('button', { name: 'Add backend' }).click();
    await expect(page.locator('[data-field="port"] .field-error')).toContainText('already has a backend');
    await expect(page.getByLabel('Host')).toHaveValue('127.0.0.1');
    await expect(page.getByLabel('Port', { exact: true })).toHaveValue(String(b.port));
    await expect(page.getByLabel('Port', { exact: true })).toBeFocused();
    // A cleared weight is an error too.
    await page.getByLabel('Weight', { exact: true }).fill('');
    await page.getByRole('button', { name: 'Add backend' }).click();
    await expect(page.locator('[data-field="weight"] .field-error')).toHaveText('Enter a number');

    const weight = page.getByRole('spinbutton', { name: `weight of ${b.addr}` });
    await weight.fill('0');
    await weight.press('Tab');
    await expect(page.locator(`tr[data-backend="${b.addr}"] [data-weight-error]`)).toHaveText('Weight must be at least 1');
    await expect(weight).toHaveAttribute('aria-invalid', 'true');
    await testInfo.attach('weight-zero', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });
    // Escape puts the saved weight back.
    await weight.focus();
    await weight.press('Escape');
    await expect(weight).toHaveValue('1');
    await expect(page.locator('[data-weight-error]')).toHaveCount(0);
    expect(await newestRevision(page.request)).toBe(before);

    // Accepted: now the form is emptied for the next one.
    const second = await backend('two');
    await page.getByLabel('Weight', { exact: true }).fill('3');
    await page.getByLabel('Port', { exact: true }).fill(String(second.port));
    await page.getByRole('button', { name: 'Add backend' }).click();
    await expect(page.locator(`tr[data-backend="${second.addr}"]`)).toBeVisible();
    await expect(page.getByLabel('Host')).toHaveValue('');
    await expect(page.getByLabel('Weight', { exact: true })).toHaveValue('1');
    await openPoolSection(page, 'Overview');
  });
});
