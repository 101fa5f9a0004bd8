import { area, expect, openPoolSection, shot, signIn, signedInElsewhere, test, uniqueName } from '../support/fixtures';
import { trpcQuery } from '../support/trpc';

area('scaling', () => {
  test('scaling rules: an admin declares a webhook profile; an invalid rule saves nothing; a rule on the profile is saved, evaluated, acts, is listed with its state, and a viewer cannot change it', async ({
    page,
    browser,
    users,
    pools,
    backend,
  }) => {
    test.setTimeout(480_000);
    // The autoscaler's webhook receiver: remembers what it was asked and runs no instances itself.
    const calls: { pool: string; rule: string; desired: number; current: number }[] = [];
    const hook = await backend((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        calls.push(JSON.parse(body));
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    // rps_per_backend needs a backend to divide by (with none the rule has no value to show).
    const pool = await pools.create({ backends: [await backend('one')] });
    const profile = uniqueName('scaler');
    await signIn(page, users.admin);
    // What scaling may call is declared by an admin, as a provider profile; a rule can only pick one.
    await page.getByRole('link', { name: 'Settings' }).click();
    const profiles = page.locator('section.card', { has: page.getByRole('heading', { name: 'Provider profiles', exact: true }) });
    await profiles.getByRole('button', { name: 'New provider profile' }).click();
    const profileForm = profiles.getByRole('form', { name: 'New provider profile' });
    await profileForm.getByLabel('Profile name').fill(profile);
    await profileForm.getByLabel('Kind').selectOption('webhook');
    await profileForm.getByLabel('Webhook URL').fill('file:///etc/passwd');
    await profileForm.getByRole('button', { name: 'Add profile' }).click();
    await expect(profileForm.locator('[data-field="spec.url"] .field-error')).toContainText('http(s) URL');
    await profileForm.getByLabel('Webhook URL').fill(`http://127.0.0.1:${hook.port}/scale`);
    await profileForm.getByLabel('Signing secret').fill('e2e-signing-secret');
    await profileForm.getByRole('button', { name: 'Add profile' }).click();
    await expect(page.getByText(`Provider profile ${profile} added`)).toBeVisible();
    const profileRow = profiles.locator(`tr[data-profile="${profile}"]`);
    await expect(profileRow).toContainText(`http://127.0.0.1:${hook.port}/scale`);
    await expect(profileRow).toContainText('set');
    expect(JSON.stringify(await trpcQuery(page.request, 'providerProfiles.list', {}))).not.toContain('e2e-signing-secret');

    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('row').getByRole('link', { name: pool.name, exact: true }).click();
    await openPoolSection(page, 'Scaling');
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
    await form.getByLabel('Provider profile').selectOption({ label: `${profile} (webhook)` });
    await form.getByRole('button', { name: 'Add rule' }).click();
    await expect(form.locator('[data-field="maxInstances"] .field-error')).toContainText('minInstances must not exceed maxInstances');
    // A threshold left out is refused too, beside its field.
    await form.getByLabel('Min instances').fill('1');
    await form.getByLabel('Scale up above').fill('');
    await form.getByRole('button', { name: 'Add rule' }).click();
    await expect(form.locator('[data-field="scaleUpThreshold"] .field-error')).toBeVisible();
    await expect(form.locator('[data-field="maxInstances"] .field-error')).toHaveCount(0);
    expect(await trpcQuery(page.request, 'scaling.list', { poolId: pool.id })).toEqual([]);

    await form.getByLabel('Scale up above').fill('500');
    await form.getByRole('button', { name: 'Add rule' }).click();
    await expect(page.getByText('Scaling rule rps added')).toBeVisible();
    const row = section.locator('tr[data-rule="rps"]');
    await expect(row).toContainText('requests/s per backend');
    await expect(row).toContainText('500 / 1');
    await expect(row).toContainText('1–2, step 1');
    await expect(row.locator('.rule-provider')).toHaveText(`${profile} (webhook)`);
    await expect(row.locator('.rule-enabled')).toHaveText('yes');

    // The evaluator brings the pool up to the minimum through the webhook, then holds there.
    await expect.poll(() => calls.length, { timeout: 60_000 }).toBeGreaterThan(0);
    expect(calls[0]).toEqual({ pool: pool.name, rule: 'rps', desired: 1, current: 0 });
    await expect(row.locator('.rule-instances')).toHaveText('1', { timeout: 60_000 });
    await expect(row.locator('.rule-value')).toHaveText(/^\d/, { timeout: 60_000 });
    // No traffic now: requests/s stays below the scale-down threshold, but the rule is at its minimum.
    await expect(row.locator('.rule-decision')).toContainText('at the minimum of 1', { timeout: 60_000 });
    await expect(row.locator('.rule-breach')).toContainText('down since');
    await row.getByRole('button', { name: 'History' }).click();
    const scaledUp = `scale up ${pool.name} from 0 to 1 instance(s): rps_per_backend below the minimum of 1`;
    // The rule's own history (the pool's Events card lists the same decision too).
    await expect(section.locator('[data-rule-history="rps"]').getByText(scaledUp)).toBeVisible({ timeout: 60_000 });
    await shot(page, 'pool-scaling');

    // A viewer sees the rule and its history but cannot change it.
    await signedInElsewhere(browser, users.viewer, async (viewer) => {
      await viewer.getByRole('row').getByRole('link', { name: pool.name, exact: true }).click();
      await openPoolSection(viewer, 'Scaling');
      const viewed = viewer.locator('tr[data-rule="rps"]');
      await expect(viewed).toContainText('webhook');
      await expect(viewed.getByRole('button', { name: 'Edit' })).toBeDisabled();
      await expect(viewed.getByRole('button', { name: 'Delete' })).toBeDisabled();
      await expect(viewer.getByRole('button', { name: 'New scaling rule' })).toBeDisabled();
      await viewed.getByRole('button', { name: 'History' }).click();
      await expect(viewer.locator('[data-rule-history="rps"]').getByText(scaledUp)).toBeVisible();
    });

    // Edit: switch the rule off; it stays listed and stops acting.
    await row.getByRole('button', { name: 'Edit' }).click();
    const edit = section.getByRole('form', { name: 'Edit rule rps' });
    await expect(edit.getByLabel('Provider profile').locator('option:checked')).toHaveText(`${profile} (webhook)`);
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
});
