import { createServer } from 'node:net';
import { ZBackendConfig, ZPoolConfig } from '@fulcrum/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { Dataplane } from '../dataplane';
import { BackendState } from '../runtime/backend-state';
import { PoolRuntime, type RuntimeBackend, stickyKeyOf } from '../runtime/pool-runtime';
import { UpstreamPool } from '../http/upstream/upstream-pool';
import { eventually, freePort } from '../test-support';
import { probe } from './active-checker';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A TCP backend that speaks no HTTP: it greets and closes. Counts the connections it got. */
async function bannerServer(): Promise<{ port: number; connections: () => number }> {
  let n = 0;
  const srv = createServer((s) => {
    n++;
    s.on('error', () => {});
    s.end('220 hello, this is not HTTP\r\n');
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => srv.close(r)));
  return { port: (srv.address() as { port: number }).port, connections: () => n };
}

describe('active health checks', () => {
  it('turn a check node:http refuses to send into a failed check, never a rejection (issue 12, item 4)', async () => {
    const backend = await bannerServer();
    // Built past the schema (which now refuses it), as an older control plane could have sent it.
    const config = { ...ZPoolConfig.parse({ name: 'p', listenPort: 1 }), healthCheck: { ...ZPoolConfig.parse({ name: 'p', listenPort: 1 }).healthCheck, path: '/a b' }, id: 'p', backends: [] };
    const cfg = { ...ZBackendConfig.parse({ host: '127.0.0.1', port: backend.port }), id: 'b' };
    const upstream = new UpstreamPool('127.0.0.1', backend.port);
    cleanups.push(() => upstream.destroy());
    const b: RuntimeBackend = { id: 'b', index: 0, weight: 1, config: cfg, state: new BackendState('b'), address: `127.0.0.1:${backend.port}`, stickyKey: stickyKeyOf('b'), upstream };
    const pool = new PoolRuntime(config, [b], { now: () => performance.now(), random: Math.random });
    const result = await probe(pool, b);
    expect(result.ok).toBe(false);
    expect(result.reason).toMatch(/check not sent: .*unescaped characters/i);
  });

  it('check a TCP pool with TCP connects by default, so a backend that speaks no HTTP stays healthy (issue 12, item 9)', async () => {
    const backend = await bannerServer();
    const port = await freePort();
    const dp = new Dataplane();
    cleanups.push(() => dp.stop());
    const pool = ZPoolConfig.parse({ name: 'mail', protocol: 'tcp', listenHost: '127.0.0.1', listenPort: port, healthCheck: { intervalMs: 100, timeoutMs: 1000, rise: 1, fall: 1 } });
    await dp.applySnapshot({ version: 1, hash: 'h', pools: [{ ...pool, id: 'mail', backends: [{ ...ZBackendConfig.parse({ host: '127.0.0.1', port: backend.port }), id: 'smtp' }] }] });
    // Several checks ran (each is a connection); with fall 1 any failed one would have flipped it.
    await eventually(() => backend.connections() >= 4, 20_000);
    const health = dp.collectFrame().pools[0]!.backends[0]!.health;
    expect(health).toBe('healthy');
  });
});
