/**
 * Instructions per proxied request, counted by valgrind (callgrind) on the data plane's main
 * thread: a figure a shared, noisy machine cannot move. CPU time per request moves by ±30 % from
 * run to run on a VM whose host is busy; the main thread's instruction count for the same build
 * moves by about 1 %, so changes of a few percent can be told apart (and, unlike time, it says
 * nothing of the kernel's share, which `pnpm bench` measures).
 *
 * Each build runs under callgrind behind the same three NGINX backends; h2load (HTTP/1.1, c50)
 * warms it up with WARMUP requests, the counters are zeroed, `--requests` more are sent, and the
 * counts are dumped per thread. Printed per build and round: the main thread's instructions per
 * request (JavaScript, V8's builtins and runtime, Node's bindings, libuv: the event loop's whole
 * work) and all threads' (adding the compiler's and the garbage collector's helpers, which vary
 * more), with the median of the rounds.
 *
 * Needs valgrind, nginx and h2load from Debian: apt-get install -y valgrind nginx nghttp2-client
 * Usage: pnpm --filter @fulcrum/dataplane bench:instructions [--requests N] [--rounds R] [--baseline B]
 *   --baseline B  another build (a fulcrum-dataplane.mjs), measured in alternation with this one
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { answers, benchOptions, countOption, fileOption, freePort, median, need, startNginxBackends, until, writePoolConfig } from './bench-support';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = path.resolve(here, '..');
const USAGE = 'pnpm --filter @fulcrum/dataplane bench:instructions [--requests N] [--rounds R] [--baseline B]';
const values = benchOptions(USAGE, {
  requests: { type: 'string' },
  rounds: { type: 'string' },
  baseline: { type: 'string' },
});
const REQUESTS = countOption(values.requests, 15_000, 'requests', USAGE);
const ROUNDS = countOption(values.rounds, 2, 'rounds', USAGE);
const BASELINE = fileOption(values.baseline, 'baseline', USAGE);
const WARMUP = 5_000;
const CONNECTIONS = 50;

const PACKAGES = 'valgrind nginx nghttp2-client';
const VALGRIND = need('valgrind', PACKAGES);
const CALLGRIND_CONTROL = need('callgrind_control', PACKAGES);
const NGINX = need('nginx', PACKAGES);
const H2LOAD = need('h2load', PACKAGES);

/** h2load's count of requests that succeeded. */
function h2load(port: number, n: number): number {
  const out = execFileSync(H2LOAD, ['--h1', '-n', String(n), '-c', String(CONNECTIONS), `http://127.0.0.1:${port}/`]).toString();
  const m = /requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded/.exec(out);
  return m ? Number(m[1]) : 0;
}

/** The `summary:` (or `totals:`) of a callgrind output file: instructions counted. */
function instructionsIn(file: string): number {
  const m = /^(?:summary|totals): (\d+)/m.exec(readFileSync(file, 'utf8'));
  return m ? Number(m[1]) : 0;
}

interface Count {
  main: number;
  all: number;
}

/** One build under callgrind: warm-up, zero, REQUESTS requests, dump; instructions per request. */
async function measure(bundle: string, config: string, port: number, out: string): Promise<Count> {
  mkdirSync(out, { recursive: true });
  const proc: ChildProcess = spawn(
    VALGRIND,
    ['--tool=callgrind', '--separate-threads=yes', `--callgrind-out-file=${path.join(out, 'cg.out')}`, process.execPath, bundle, '--config', config, '--admin', 'off'],
    { stdio: ['ignore', 'ignore', 'ignore'] },
  );
  try {
    await until(() => answers(port), 'the data plane under valgrind answering', 120_000);
    h2load(port, WARMUP);
    execFileSync(CALLGRIND_CONTROL, ['-z', String(proc.pid)], { stdio: 'ignore' });
    const ok = h2load(port, REQUESTS);
    if (ok !== REQUESTS) throw new Error(`${ok} of ${REQUESTS} requests succeeded`);
    execFileSync(CALLGRIND_CONTROL, ['-d', String(proc.pid)], { stdio: 'ignore' });
    // The dump after the zeroing is part 1, one file per thread: cg.out.1-01 is the main thread.
    const dumps = readdirSync(out).filter((f) => /^cg\.out\.1-\d+$/.test(f));
    const main = instructionsIn(path.join(out, 'cg.out.1-01'));
    const all = dumps.reduce((sum, f) => sum + instructionsIn(path.join(out, f)), 0);
    return { main: main / REQUESTS, all: all / REQUESTS };
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
  }
}

async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fulcrum-instructions-'));
  chmodSync(dir, 0o755);
  const { ports: backendPorts, proc: backends } = await startNginxBackends(NGINX, dir);
  const port = await freePort();
  const config = writePoolConfig(path.join(dir, 'fulcrum.json'), 'bench', port, backendPorts);
  execFileSync(process.execPath, [path.join(pkg, 'scripts/build.mjs')], { cwd: pkg, stdio: 'ignore' });
  const builds: [string, string][] = [['Fulcrum', path.join(pkg, 'dist/fulcrum-dataplane.mjs')]];
  if (BASELINE) builds.push(['Fulcrum baseline', BASELINE]);
  const counts = new Map<string, Count[]>(builds.map(([name]) => [name, []]));
  try {
    console.log(`${REQUESTS} requests per round after ${WARMUP} of warm-up, h2load --h1 -c ${CONNECTIONS}; instructions per request`);
    for (let round = 0; round < ROUNDS; round++) {
      // Alternating order, as `pnpm bench` does.
      const order = round % 2 ? [...builds].reverse() : builds;
      for (const [name, bundle] of order) {
        const c = await measure(bundle, config, port, path.join(dir, `${name.replace(/\W+/g, '-')}-${round}`));
        counts.get(name)!.push(c);
        console.log(`round ${round + 1} ${name}: main thread ${(c.main / 1000).toFixed(1)}k, all threads ${(c.all / 1000).toFixed(1)}k`);
      }
    }
  } finally {
    backends.kill('SIGTERM');
  }
  console.log('\n| build | main thread (median) | all threads (median) | rounds |\n| --- | --- | --- | --- |');
  for (const [name, cs] of counts) {
    console.log(`| ${name} | ${(median(cs.map((c) => c.main)) / 1000).toFixed(1)}k | ${(median(cs.map((c) => c.all)) / 1000).toFixed(1)}k | ${cs.length} |`);
  }
  if (BASELINE) {
    const a = median(counts.get('Fulcrum')!.map((c) => c.main));
    const b = median(counts.get('Fulcrum baseline')!.map((c) => c.main));
    console.log(`\nmain thread, this build against the baseline: ${(((a - b) / b) * 100).toFixed(1)} %`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
