import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '@fulcrum/db/testing';
import { ProcessProvider } from './process-provider';

const server = [process.execPath, '-e', "require('http').createServer((q,s)=>s.end('port '+process.argv[1])).listen(+process.argv[1],'127.0.0.1')", '{port}'];
let provider: ProcessProvider | undefined;
afterAll(() => provider?.stopAll());

/** What the instance on `port` answers, waiting up to 60 s for it to listen (a loaded machine starts node slowly). */
async function get(port: number): Promise<string | null> {
  for (let i = 0; i < 600; i++) {
    try {
      return await (await fetch(`http://127.0.0.1:${port}/`)).text();
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return null;
}

/** Whether `port` refuses connections within 60 s (the stopped instance has exited). */
async function refused(port: number): Promise<boolean> {
  for (let i = 0; i < 600; i++) {
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
    provider = new ProcessProvider({ spec: { argv: server, env: {}, host: '127.0.0.1', portRangeStart: start, portRangeEnd: start + 20 } });
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

    // The stopped one's port is free again, but the pool still names it (a dead instance's backend):
    // a scale-up told to avoid it starts elsewhere rather than answer for that backend.
    const again = await provider.scaleTo(2, { avoidPorts: [victim.port!] });
    expect(again).toHaveLength(2);
    expect(again.map((i) => i.port)).not.toContain(victim.port);
  });

  it('takes back the instances it recorded when a restarted control plane creates it again', async () => {
    const start = await freePort();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fulcrum-process-state-'));
    const config = { spec: { argv: server, env: {}, host: '127.0.0.1', portRangeStart: start, portRangeEnd: start + 20 } };
    const before = new ProcessProvider(config, undefined, dir);
    const after = new ProcessProvider(config, undefined, dir);
    try {
      const up = await before.scaleTo(2);
      for (const i of up) expect(await get(i.port!)).toBe(`port ${i.port}`);
      // A record whose process is gone (or whose pid now runs something else) is dropped.
      writeFileSync(path.join(dir, `${start + 20}.json`), JSON.stringify({ pid: process.pid, port: start + 20, argv: server }));

      // The control plane restarted: a new provider over the same records sees the same two.
      expect((await after.list()).map((i) => i.port).sort()).toEqual(up.map((i) => i.port).sort());
      expect(readdirSync(dir).sort()).toEqual(up.map((i) => `${i.port}.json`).sort());
      // Scaling to three starts one more, not three; scaling to one really stops a taken-back one.
      expect(await after.scaleTo(3)).toHaveLength(3);
      const down = await after.scaleTo(1, { remove: [up[0]!.id] });
      expect(down.map((i) => i.id)).not.toContain(up[0]!.id);
      expect(await refused(up[0]!.port!)).toBe(true);
      expect(readdirSync(dir)).toEqual([`${down[0]!.port}.json`]);
    } finally {
      await after.stopAll();
      await before.stopAll();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says so when the range has no free port', async () => {
    const port = await freePort();
    const p = new ProcessProvider({ spec: { argv: server, env: {}, host: '127.0.0.1', portRangeStart: port, portRangeEnd: port } });
    try {
      await p.scaleTo(1);
      await expect(p.scaleTo(2)).rejects.toThrow(/no free port/);
    } finally {
      await p.stopAll();
    }
  });

  it('passes values as single argv elements with no shell, fills placeholders once, and keeps its own environment to itself', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fulcrum-argv-'));
    const script = path.join(dir, 'echo-args.cjs');
    // Writes what it was given, then serves, so the provider sees a healthy instance.
    writeFileSync(
      script,
      `require('fs').writeFileSync(process.argv[2] + '.json', JSON.stringify({ argv: process.argv.slice(3), env: process.env, cwd: process.cwd() }));
       require('http').createServer((q, s) => s.end('ok')).listen(+process.argv[3], '127.0.0.1');`,
    );
    const start = await freePort();
    const hostile = `x; touch ${dir}/pwned-semicolon $(touch ${dir}/pwned-subshell) \`touch ${dir}/pwned-backtick\` {port}`;
    const p = new ProcessProvider({
      spec: {
        argv: [process.execPath, script, path.join(dir, 'out'), '{port}', '--label={label}', '{label}'],
        cwd: dir,
        env: { GREETING: 'hi' },
        host: '127.0.0.1',
        portRangeStart: start,
        portRangeEnd: start + 20,
      },
      params: { label: hostile },
    });
    try {
      const [inst] = await p.scaleTo(1);
      expect(await get(inst!.port!)).toBe('ok');
      const seen = JSON.parse(readFileSync(path.join(dir, 'out.json'), 'utf8')) as { argv: string[]; env: Record<string, string>; cwd: string };
      // Each value is one element, verbatim: `{port}` inside a value is not filled a second time.
      expect(seen.argv).toEqual([String(inst!.port), `--label=${hostile}`, hostile]);
      expect(readdirSync(dir).filter((f) => f.startsWith('pwned'))).toEqual([]);
      expect(existsSync(path.join(dir, 'pwned-subshell'))).toBe(false);
      expect(seen.cwd).toBe(dir);
      expect(seen.env.GREETING).toBe('hi');
      expect(Object.keys(seen.env).filter((k) => k !== 'GREETING' && k !== 'PATH')).toEqual([]);
    } finally {
      await p.stopAll();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('starts an instance again on another port when another process took its port between the probe and the spawn', async () => {
    const start = await freePort();
    // Another process holds the port on 127.0.0.2: the provider's probe (on 127.0.0.1) finds it
    // free, but an instance listening on every address cannot bind it, and the port still answers.
    const occupant = createServer();
    await new Promise<void>((resolve) => occupant.listen(start, '127.0.0.2', resolve));
    const everyAddress = [process.execPath, '-e', "require('http').createServer((q,s)=>s.end('port '+process.argv[1])).listen(+process.argv[1],'0.0.0.0')", '{port}'];
    const lines: string[] = [];
    const p = new ProcessProvider({ spec: { argv: everyAddress, env: {}, host: '127.0.0.1', portRangeStart: start, portRangeEnd: start + 20 } }, (l) => lines.push(l));
    try {
      const [inst] = await p.scaleTo(1);
      expect(inst!.port).not.toBe(start);
      expect(await get(inst!.port!)).toBe(`port ${inst!.port}`);
      expect((await p.list()).map((i) => i.port)).toEqual([inst!.port]);
      expect(lines.some((l) => l.includes(`instance on port ${start} could not listen`))).toBe(true);
    } finally {
      await p.stopAll();
      occupant.close();
    }
  });

  it('starts an instance again on another port when it exits saying its address is in use', async () => {
    const start = await freePort();
    // Stands for a program that lost the race for its port: on the first port it fails the way
    // node does (EADDRINUSE on stderr, exit 1); elsewhere it serves.
    const script = `const port = +process.argv[1];
      if (port === ${start}) { console.error('Error: listen EADDRINUSE: address already in use 0.0.0.0:' + port); process.exit(1); }
      require('http').createServer((q, s) => s.end('port ' + port)).listen(port, '127.0.0.1');`;
    const lines: string[] = [];
    const p = new ProcessProvider({ spec: { argv: [process.execPath, '-e', script, '{port}'], env: {}, host: '127.0.0.1', portRangeStart: start, portRangeEnd: start + 20 } }, (l) => lines.push(l));
    try {
      const [inst] = await p.scaleTo(1);
      expect(inst!.port).not.toBe(start);
      expect(await get(inst!.port!)).toBe(`port ${inst!.port}`);
      expect(lines.some((l) => l.includes(`instance on port ${start} could not listen`))).toBe(true);
      expect(lines.some((l) => l.includes('exited on its own'))).toBe(false);
    } finally {
      await p.stopAll();
    }
  });
});
