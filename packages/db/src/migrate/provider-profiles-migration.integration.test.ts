import { afterAll, describe, expect, it } from 'vitest';
import { databaseBefore, sqlAt as sql, stopTestServer, testServer } from '../testing';

const PROFILES_MIGRATION = '20261130164127_provider_profiles';
afterAll(async () => {
  await stopTestServer();
});

const settings = { metric: 'p95_latency_ms', scaleUpThreshold: 200, scaleDownThreshold: 20, windowMs: 30000, minInstances: 1, maxInstances: 4, step: 1, cooldownMs: 60000 };
const legacy = {
  exploit: { kind: 'process', command: 'id > /tmp/pwned; node server.js {port}', host: '127.0.0.1', portRangeStart: 9000, portRangeEnd: 9010 },
  hook: { kind: 'webhook', url: 'https://scaler.internal/web', secret: 's3cret' },
  cluster: { kind: 'kubernetes', apiUrl: 'https://k8s.internal:6443', namespace: 'shop', deployment: 'web', token: 'k8s-token', servicePort: 80 },
};

describe(`migration ${PROFILES_MIGRATION}`, () => {
  it('keeps every existing rule whole but disabled, its inline provider moved aside where nothing runs it', async () => {
    const db = await databaseBefore((await testServer()).adminUrl, PROFILES_MIGRATION);
    const { url } = db;
    try {
      await sql(
        url,
        `INSERT INTO "Pool" (id, name, "listenPort", "hashKey", "healthCheck", "outlierDetection", timeouts, retries, stickiness, "updatedAt") VALUES ('p1', 'web', 8080, '{}', '{}', '{}', '{}', '{}', '{}', now())`,
      );
      const rows = [
        ['r1', 'exploit', true, legacy.exploit],
        ['r2', 'hook', true, legacy.hook],
        ['r3', 'cluster', false, legacy.cluster],
      ] as const;
      for (const [id, rule, enabled, provider] of rows) {
        await sql(url, `INSERT INTO "ScalingRule" (id, "poolId", name, enabled, metric, config, version, "updatedAt") VALUES ($1, 'p1', $2, $3, 'p95_latency_ms', $4, 3, now())`, [
          id,
          rule,
          enabled,
          JSON.stringify({ name: rule, enabled, ...settings, provider }),
        ]);
      }

      expect(await db.migrate()).toContain(PROFILES_MIGRATION);

      const after = await sql<{ id: string; enabled: boolean; profileId: string | null; params: unknown; legacyProvider: unknown; config: Record<string, unknown>; version: number }>(
        url,
        `SELECT id, enabled, "profileId", params, "legacyProvider", config, version FROM "ScalingRule" ORDER BY id`,
      );
      expect(after.map((r) => r.id)).toEqual(['r1', 'r2', 'r3']);
      for (const [i, r] of after.entries()) {
        const [, rule, , provider] = rows[i]!;
        expect(r).toMatchObject({ enabled: false, profileId: null, params: {}, legacyProvider: provider, version: 4 });
        // The rule's own settings are untouched; only the provider left the config.
        expect(r.config).toEqual({ name: rule, enabled: false, ...settings });
      }
      // Nothing can switch one back on without a profile, whatever writes the row.
      await expect(sql(url, `UPDATE "ScalingRule" SET enabled = true WHERE id = 'r1'`)).rejects.toThrow(/ScalingRule_enabled_needs_profile/);
      // A profile in use cannot be deleted from under its rule.
      await sql(url, `INSERT INTO "ProviderProfile" (id, name, kind, spec, "updatedAt") VALUES ('pp1', 'hook', 'webhook', '{"kind":"webhook","url":"https://scaler.internal/web"}', now())`);
      await sql(url, `UPDATE "ScalingRule" SET "profileId" = 'pp1', enabled = true WHERE id = 'r2'`);
      await expect(sql(url, `DELETE FROM "ProviderProfile" WHERE id = 'pp1'`)).rejects.toThrow(/ScalingRule_profileId_fkey/);
    } finally {
      await db.drop();
    }
  });
});
