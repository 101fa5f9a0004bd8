import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { freePort, freePortRange } from './free-port';

describe('freePort', () => {
  it('gives a port below the ephemeral range that a listener can then bind', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThanOrEqual(10_000);
    const srv = createServer();
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, '127.0.0.1', resolve);
    });
    expect((srv.address() as { port: number }).port).toBe(port);
    await new Promise((r) => srv.close(r));
  });

  it('gives a range of ports that ends below the ephemeral range', async () => {
    const ephemeral = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    for (let i = 0; i < 20; i++) {
      const first = await freePortRange(41);
      expect(first).toBeGreaterThanOrEqual(10_000);
      expect(first + 40).toBeLessThan(ephemeral);
    }
  });
});
