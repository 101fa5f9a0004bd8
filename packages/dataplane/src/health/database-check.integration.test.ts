import { type TConfigSnapshotV2Input, ZBackendConfig, ZConfigSnapshotV1, ZPoolConfig, upgradeSnapshotV1 } from '@fulcrum/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { Dataplane } from '../dataplane';
import { freePort } from '../test-support';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

async function snapshot(version: number, secrets?: Record<string, string>): Promise<TConfigSnapshotV2Input> {
  const pool = ZPoolConfig.parse({
    name: 'writes',
    protocol: 'tcp',
    listenHost: '127.0.0.1',
    listenPort: await freePort(),
    healthCheck: { type: 'postgres', database: { role: 'primary', user: 'checker', credentialId: 'cred-9' } },
  });
  const v1 = ZConfigSnapshotV1.parse({ version, hash: `h${version}`, pools: [{ ...pool, id: 'writes', backends: [{ ...ZBackendConfig.parse({ host: '127.0.0.1', port: 1 }), id: 'db' }] }] });
  return { ...upgradeSnapshotV1(v1), ...(secrets ? { secrets } : {}) };
}

describe('a database check’s credential', () => {
  it('must come with the snapshot: a pool whose check names a credential the snapshot lacks is refused with the reason', async () => {
    const dp = new Dataplane();
    stops.push(() => dp.stop());
    const refused = await dp.applySnapshot(await snapshot(1));
    expect(refused).toMatchObject({
      ok: true,
      refused: [{ pool: 'writes', keptPrevious: false, error: 'pool writes: its health check names the secret credential/cred-9/password, which the snapshot does not carry' }],
    });
    expect(dp.pool('writes')).toBeUndefined();
    const other = await dp.applySnapshot(await snapshot(2, { 'credential/other/password': 'x' }));
    expect(other).toMatchObject({ ok: true, refused: [{ pool: 'writes' }] });
    const applied = await dp.applySnapshot(await snapshot(3, { 'credential/cred-9/password': 'pw' }));
    expect(applied).toMatchObject({ ok: true, refused: [] });
    expect(dp.pool('writes')?.config.healthCheck.database?.credentialId).toBe('cred-9');
  });
});
