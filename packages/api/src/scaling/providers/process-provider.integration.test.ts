import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '@fulcrum/db/testing';
import { ProcessProvider } from './process-provider';

const server = `node -e "require('http').createServer((q,s)=>s.end('port '+process.argv[1])).listen(+process.argv[1],'127.0.0.1')" {port}`;
let provider: ProcessProvider | undefined;
afterAll(() => provider?.stopAll());

async function get(port: number): Promise<string | null> {
  for (let i = 0; i < 50; i++) {
    try {
      return await (await fetch(`http://127.0.0.1:${port}/`)).text();
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return null;
}

async function refused(port: number): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    try {
      await fetch(`http://127.0.0.1:${port}/`);
      await new Promise((r) => setTimeout(r, 100));
    } catch {
      return true;
    }
  }
  return false;
}

describe('process provider', () => {
  it('starts real processes on free ports of its range and stops the chosen ones', async () => {
    const start = await freePort();
    provider = new ProcessProvider({ kind: 'process', command: server, host: '127.0.0.1', portRangeStart: start, portRangeEnd: start + 20 });
    const up = await provider.scaleTo(3);
    expect(up).toHaveLength(3);
    expect(new Set(up.map((i) => i.port)).size).toBe(3);
    for (const i of up) expect(await get(i.port!)).toBe(`port ${i.port}`);

    const victim = up[0]!;
    const down = await provider.scaleTo(1, { remove: [victim.id] });
    expect(down).toHaveLength(1);
    expect(down[0]!.id).not.toBe(victim.id);
    expect(await refused(victim.port!)).toBe(true);
    expect(await get(down[0]!.port!)).toBe(`port ${down[0]!.port}`);
  });

  it('says so when the range has no free port', async () => {
    const port = await freePort();
    const p = new ProcessProvider({ kind: 'process', command: server, host: '127.0.0.1', portRangeStart: port, portRangeEnd: port });
    try {
      await p.scaleTo(1);
      await expect(p.scaleTo(2)).rejects.toThrow(/no free port/);
    } finally {
      await p.stopAll();
    }
  });
});
