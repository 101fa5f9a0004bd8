import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort } from './free-port';

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
});
