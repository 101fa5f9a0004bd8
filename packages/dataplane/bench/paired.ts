/**
 * CPU per proxied request of this build and a baseline build (or NGINX), run side by side: both
 * serve at the same time, behind the same three NGINX backends, each under its own h2load
 * (HTTP/1.1, c50) started together, and each process's CPU time (user + system, from /proc) is
 * divided by its requests. On a VM whose host switches it between a fast and a slow state within
 * seconds, runs taken one after the other (`pnpm bench`) differ by ±20 % between rounds; here both
 * builds meet every state together, so their ratio in one round moves by a few percent, and a
 * change of 5 % can be read from the median of a few rounds. The two share the machine's two
 * cores with the backends and the load, so absolute figures are above `pnpm bench`'s: read the ratio.
 *
 * Needs nginx and h2load from Debian: apt-get install -y nginx nghttp2-client
 * Usage: pnpm --filter @fulcrum/dataplane bench:paired (--baseline B | --nginx) [--rounds R] [--requests N]
 *   --baseline B  another build (a fulcrum-dataplane.mjs)
 *   --nginx       NGINX as the other (one worker, upstream keep-alive: `pnpm bench`'s)
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { answers, benchOptions, countOption, fileOption, freePort, median, need, nginxProxyConfig, startNginxBackends, treeCpu, until, writePoolConfig } from './bench-support';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = path.resolve(here, '..');
const USAGE = 'pnpm --filter @fulcrum/dataplane bench:paired (--baseline B | --nginx) [--rounds R] [--requests N]';
const values = benchOptions(USAGE, {
  baseline: { type: 'string' },
  nginx: { type: 'boolean' },
  rounds: { type: 'string' },
  requests: { type: 'string' },
});
const ROUNDS = countOption(values.rounds, 6, 'rounds', USAGE);
const REQUESTS = countOption(values.requests, 100_000, 'requests', USAGE);
const BASELINE = fileOption(values.baseline, 'baseline', USAGE);
if ((BASELINE === undefined) === (values.nginx !== true)) {
  console.error(`one of --baseline or --nginx is required: what to measure beside this build\nUsage: ${USAGE}`);
  process.exit(2);
}
const WARMUP = 20_000;
const CONNECTIONS = 50;

const PACKAGES = 'nginx nghttp2-client';
const NGINX = need('nginx', PACKAGES);
const H2LOAD = need('h2load', PACKAGES);
/** h2load against `port`; resolves to the requests that succeeded. */
function h2load(port: number, n: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const proc = spawn(H2LOAD, ['--h1', '-n', String(n), '-c', String(CONNECTIONS), `http://127.0.0.1:${port}/`]);
    let out = '';
    proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
    proc.once('error', reject);
    proc.once('exit', () => {
      const m = /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded/.exec(out);
      resolve(m ? Number(m[1]) : 0);
    });
  });
}

interface Target {
  name: string;
  /** The command and its arguments. */
  command: [string, string[]];
  port: number;
}

/** A process's CPU time so far (user + system, its children's too: NGINX's worker), in µs. */
function cpuMicros(pid: number): number {
  const { user, sys } = treeCpu(pid);
  return (user + sys) * 1e6;
}

async function round(targets: Target[]): Promise<number[]> {
  const procs: ChildProcess[] = targets.map((t) => spawn(t.command[0], t.command[1], { stdio: 'ignore' }));
  try {
    for (const t of targets) await until(() => answers(t.port), `${t.name} answering`, 30_000);
    await Promise.all(targets.map((t) => h2load(t.port, WARMUP)));
    const before = procs.map((p) => cpuMicros(p.pid!));
    const ok = await Promise.all(targets.map((t) => h2load(t.port, REQUESTS)));
    const after = procs.map((p) => cpuMicros(p.pid!));
    ok.forEach((n, i) => {
      if (n !== REQUESTS) throw new Error(`${targets[i]!.name}: ${n} of ${REQUESTS} requests succeeded`);
    });
    return after.map((a, i) => (a - before[i]!) / REQUESTS);
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => (p.exitCode === null ? new Promise((r) => p.once('exit', r)) : undefined)));
  }
}

async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fulcrum-paired-'));
  chmodSync(dir, 0o755);
  const { ports: backendPorts, proc: backends } = await startNginxBackends(NGINX, dir);
  execFileSync(process.execPath, [path.join(pkg, 'scripts/build.mjs')], { cwd: pkg, stdio: 'ignore' });
  const port = await freePort();
  const targets: Target[] = [
    {
      name: 'Fulcrum',
      port,
      command: [process.execPath, [path.join(pkg, 'dist/fulcrum-dataplane.mjs'), '--config', writePoolConfig(path.join(dir, 'fulcrum.json'), 'fulcrum', port, backendPorts), '--admin', 'off']],
    },
  ];
  const other = await freePort();
  if (BASELINE)
    targets.push({
      name: 'baseline',
      port: other,
      command: [process.execPath, [BASELINE, '--config', writePoolConfig(path.join(dir, 'baseline.json'), 'baseline', other, backendPorts), '--admin', 'off']],
    });
  else {
    writeFileSync(path.join(dir, 'nginx.conf'), nginxProxyConfig(dir, other, backendPorts));
    targets.push({ name: 'NGINX', port: other, command: [NGINX, ['-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'proxy-error.log')]] });
  }
  const otherName = targets[1]!.name;
  const ratios: number[] = [];
  const costs: number[][] = [[], []];
  try {
    console.log(`${REQUESTS} requests per build and round, both at once, after ${WARMUP} of warm-up; h2load --h1 -c ${CONNECTIONS}; CPU µs per request (user + system)`);
    for (let r = 0; r < ROUNDS; r++) {
      // Started in alternating order, so neither build always gets the first core.
      const order = r % 2 ? [...targets].reverse() : targets;
      const us = await round(order);
      const [ours, base] = order[0] === targets[0] ? us : [...us].reverse();
      costs[0]!.push(ours!);
      costs[1]!.push(base!);
      ratios.push(ours! / base!);
      console.log(`round ${r + 1}: Fulcrum ${ours!.toFixed(1)} µs, ${otherName} ${base!.toFixed(1)} µs, ratio ${(ours! / base!).toFixed(3)}`);
    }
  } finally {
    backends.kill('SIGTERM');
  }
  console.log(`\nFulcrum ${median(costs[0]!).toFixed(1)} µs, ${otherName} ${median(costs[1]!).toFixed(1)} µs per request (medians)`);
  console.log(`Fulcrum / ${otherName}: median ${median(ratios).toFixed(3)} (rounds ${Math.min(...ratios).toFixed(3)} to ${Math.max(...ratios).toFixed(3)})`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
