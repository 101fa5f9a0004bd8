/**
 * What a request head trickled in one byte per write costs the data plane: a 16 KiB head
 * (node:http's default limit) sent byte by byte from a child process, the data plane's CPU
 * (user + system of this process, which runs it and a small backend) measured around it.
 * Usage: tsx bench/head-trickle.ts [--src DIR] [--rounds N]; --src points at another copy of the
 * data plane's src/ (e.g. an older commit's) for before/after.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchOptions, countOption } from './bench-support';

const here = path.dirname(fileURLToPath(import.meta.url));
const USAGE = 'npx tsx bench/head-trickle.ts [--src DIR] [--rounds N]';
const values = benchOptions(USAGE, { src: { type: 'string' }, rounds: { type: 'string' } });
const ROUNDS = countOption(values.rounds, 5, 'rounds', USAGE);
const src = path.resolve(values.src ?? path.join(here, '..', 'src'));
const { Dataplane } = await import(path.join(src, 'dataplane.ts'));
const { freePort, snapshotFor, startBackend } = await import(path.join(src, 'test-support.ts'));

const backend = await startBackend('b');
const port = await freePort();
const dp = new Dataplane();
const applied = await dp.applySnapshot(snapshotFor(port, [{ name: 'b', port: backend.port }], { timeouts: { idleMs: 600_000 } }));
if (!applied.ok) throw new Error(applied.error);

// Stays under 16 KiB with its request line, so both versions serve it.
const head = `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(16_200)}\r\n\r\n`;
const client = `
const s = require('net').connect(${port}, '127.0.0.1', async () => {
  s.setNoDelay(true);
  const head = Buffer.from(${JSON.stringify(head)}, 'latin1');
  for (let i = 0; i < head.length; i++) {
    s.write(head.subarray(i, i + 1));
    await new Promise((r) => setImmediate(r));
  }
  s.on('data', (c) => { if (c.includes('\\r\\n\\r\\n')) { process.stdout.write(c.toString('latin1').split('\\r\\n')[0]); s.destroy(); } });
});`;

for (let round = 0; round < ROUNDS; round++) {
  const before = process.cpuUsage();
  const status = await new Promise<string>((resolve) => {
    let out = '';
    const child = spawn(process.execPath, ['-e', client]);
    child.stdout.on('data', (c: Buffer) => (out += c));
    child.on('exit', () => resolve(out));
  });
  const used = process.cpuUsage(before);
  console.log(`round ${round + 1}: ${head.length} bytes one by one: ${((used.user + used.system) / 1000).toFixed(0)} ms CPU in the data plane (${status})`);
}
await dp.stop();
await backend.close();
