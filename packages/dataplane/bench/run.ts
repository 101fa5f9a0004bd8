/**
 * Side-by-side benchmark: Fulcrum (one process, and --workers 2), NGINX (1 worker, upstream
 * keepalive) and HAProxy (1 thread, http-reuse) in front of the same three backends on
 * 127.0.0.1, round robin, measured with wrk in interleaved rounds, every other round in reverse
 * (A B C D E, E D C B A, ...), so a load that rises or falls through a round favours no target.
 * Before each scenario's measured rounds every target gets the same unrecorded warm-up (a
 * WARMUP_SECONDS wrk run at the scenario's concurrency), so no target's first round carries its
 * JIT warm-up or the opening of its upstream connections.
 *
 * Needs nginx, haproxy and wrk from Debian (it installs nothing itself), and h2load for the h2 row and the c50/c200 h2load rows:
 *   apt-get install -y nginx haproxy wrk nghttp2-client
 * Usage: pnpm bench [--quick] [--rounds N] [--seconds S] [--only T1,T2] [--scenarios S1,S2]
 *                   [--baseline B] [--semi-space MB]
 *   --quick       1 round x 3 s (for iterating; the README's figures come from a full run)
 *   --only        targets to measure, by name (direct, "TCP pipe", Fulcrum, Fulcrum+log, "Fulcrum+log pool off", "Fulcrum x2",
 *                 "Fulcrum baseline", "Fulcrum+log baseline",
 *                 "Fulcrum semi-space", NGINX, HAProxy); NGINX is always
 *                 measured, since the ratios are to it
 *   --scenarios   c50, c200, 1MiB, routes and/or https (default all five; c50 and c200 are measured
 *                 with wrk and again with h2load --h1 when it is installed, see h2loadH1; routes: 100 routes vs one catch-all,
 *                 bench/routing.ts; https: HTTPS keep-alive, TLS handshakes/s and HTTP/2 with h2load
 *                 against NGINX and HAProxy, bench/https.ts — `pnpm bench --scenarios https` runs them alone)
 *   --baseline B  also measures another build of the data plane (a fulcrum-dataplane.mjs, e.g.
 *                 built from the previous commit) as "Fulcrum baseline" and "Fulcrum+log baseline":
 *                 before/after in one run
 *   --semi-space MB  also measures this build run with `node --max-semi-space-size=MB`, as
 *                 "Fulcrum semi-space": the young generation's size measured, not assumed
 * Each cell also reports the CPU per request of the target's processes (user + system, read
 * from /proc around each wrk run; for "direct", the backends' own), and its ratios to NGINX in
 * the same run: req/s, p99 and CPU. "TCP pipe" is a Fulcrum TCP pool (each client connection
 * piped to one backend connection, no HTTP at all): the least CPU per request a Node proxy
 * spends here, the reference for what the HTTP proxy can reach on this machine. The load
 * average is printed before and after: other work on the machine moves absolute figures, so
 * read the ratios within one run.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchOptions, countOption, fileOption, freePort, installed, median, need, nginxProxyConfig, treeCpu } from './bench-support';
import { httpsBench } from './https';
import { haproxyConfig } from './haproxy-config';
import { routingBench } from './routing';

const here = path.dirname(fileURLToPath(import.meta.url));
const pkg = path.resolve(here, '..');
const USAGE = 'pnpm bench [--quick] [--rounds N] [--seconds S] [--only T1,T2] [--scenarios S1,S2] [--baseline B] [--semi-space MB]';
const values = benchOptions(USAGE, {
  quick: { type: 'boolean' },
  rounds: { type: 'string' },
  seconds: { type: 'string' },
  only: { type: 'string' },
  scenarios: { type: 'string' },
  baseline: { type: 'string' },
  'semi-space': { type: 'string' },
});
const listed = (v: string | undefined) => (v ? new Set(v.split(',').map((x) => x.trim().toLowerCase())) : undefined);
const ONLY = listed(values.only);
const SCENARIOS = listed(values.scenarios);
const ROUNDS = countOption(values.rounds, values.quick ? 1 : 3, 'rounds', USAGE);
const BASELINE = fileOption(values.baseline, 'baseline', USAGE);
const SECONDS = countOption(values.seconds, values.quick ? 3 : 10, 'seconds', USAGE);
const WARMUP_SECONDS = 2;

const NGINX = need('nginx', 'nginx haproxy wrk');
const HAPROXY = need('haproxy', 'nginx haproxy wrk');
const WRK = need('wrk', 'nginx haproxy wrk');
/** Optional: without it the h2 row is left out. */
const H2LOAD = installed('h2load');

const dir = mkdtempSync(path.join(os.tmpdir(), 'fulcrum-bench-'));
// NGINX workers run as an unprivileged user when started by root: let them read the files.
chmodSync(dir, 0o755);
const procs: ChildProcess[] = [];
function start(cmd: string, args: string[], name: string): ChildProcess {
  const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr?.on('data', (d) => (err += d));
  p.on('exit', (code) => {
    if (code && !stopping) console.error(`${name} exited ${code}: ${err}`);
  });
  procs.push(p);
  return p;
}
let stopping = false;
function stopAll() {
  stopping = true;
  for (const p of procs) p.kill('SIGTERM');
}
process.on('exit', stopAll);
process.on('SIGINT', () => process.exit(130));

async function waitFor(port: number, pathname = '/'): Promise<void> {
  // Only bounds a hang: on a busy machine a process may take many seconds to start.
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}${pathname}`);
      await r.arrayBuffer();
      if (r.ok) return;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing answered on ${port}`);
}

interface WrkResult {
  rps: number;
  p50: number;
  p99: number;
  mbps: number;
  errors: number;
  /** The target's CPU per request in µs (all its processes), user and system. */
  userUs: number;
  sysUs: number;
}

function toMs(v: string): number {
  const m = /([\d.]+)(us|ms|s)/.exec(v);
  if (!m) return NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n;
}

function toMB(v: string): number {
  const m = /([\d.]+)([KMG]?)B/.exec(v);
  if (!m) return NaN;
  return Number(m[1]) * ({ K: 1 / 1024, M: 1, G: 1024, '': 1 / 1048576 } as Record<string, number>)[m[2]!]!;
}

function wrk(port: number, conns: number, pathname: string, seconds = SECONDS): WrkResult {
  const out = execFileSync(WRK, ['-t', '1', '-c', String(conns), '-d', `${seconds}s`, '--latency', `http://127.0.0.1:${port}${pathname}`], { timeout: (seconds + 30) * 1000 }).toString();
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p50 = toMs(/\s50%\s+(\S+)/.exec(out)?.[1] ?? '');
  const p99 = toMs(/\s99%\s+(\S+)/.exec(out)?.[1] ?? '');
  const mbps = toMB(/Transfer\/sec:\s+(\S+)/.exec(out)?.[1] ?? '');
  const errs = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = Number(errs?.[1] ?? 0) + (sock ? Number(sock[1]) + Number(sock[3]) + Number(sock[4]) : 0);
  return { rps, p50, p99, mbps, errors, userUs: NaN, sysUs: NaN };
}

/**
 * The same load from h2load (`--h1`: HTTP/1.1, one request at a time per connection), with p50
 * and p99 from its per-request log. Under wrk a server that is saturated (its one core busy),
 * NGINX as much as any Node process, now and then shows a tail of hundreds of milliseconds that
 * h2load does not see at the same throughput: the c50 and c200 rows are measured with both.
 */
function h2loadH1(port: number, conns: number, pathname: string, seconds = SECONDS): WrkResult {
  const log = path.join(dir, 'h2load-requests.log');
  const out = execFileSync(H2LOAD!, ['--h1', '-c', String(conns), '-D', String(seconds), `--log-file=${log}`, `http://127.0.0.1:${port}${pathname}`], {
    timeout: (seconds + 30) * 1000,
  }).toString();
  const finished = /finished in [\d.]+s, ([\d.]+) req\/s, ([\d.]+)([KMG]?B)\/s/.exec(out);
  const counts = /requests: \d+ total, \d+ started, \d+ done, \d+ succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(out);
  const status = /status codes: \d+ 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(out);
  const times = readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => Number(line.split('\t')[2]) / 1000)
    .sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(times.length * q))] ?? NaN;
  const errors = [counts?.[1], counts?.[2], counts?.[3], status?.[2], status?.[3]].reduce((a, v) => a + Number(v ?? 0), 0);
  return { rps: Number(finished?.[1]), p50: at(0.5), p99: at(0.99), mbps: toMB(`${finished?.[2]}${finished?.[3]}`), errors, userUs: NaN, sysUs: NaN };
}

type LoadTool = 'wrk' | 'h2load';
const load = (tool: LoadTool) => (tool === 'h2load' ? h2loadH1 : wrk);

/** A load run (wrk unless told) with the CPU the target's processes used during it, per request. */
function measure(port: number, pid: number | undefined, conns: number, pathname: string, tool: LoadTool = 'wrk'): WrkResult {
  const before = pid ? treeCpu(pid) : undefined;
  const res = load(tool)(port, conns, pathname);
  if (!pid || !before) return res;
  const after = treeCpu(pid);
  const requests = res.rps * SECONDS;
  return { ...res, userUs: ((after.user - before.user) * 1e6) / requests, sysUs: ((after.sys - before.sys) * 1e6) / requests };
}

/** The CPU model as /proc/cpuinfo names it. */
function cpuModel(): string {
  try {
    return /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? 'unknown';
  } catch {
    return os.cpus()[0]?.model ?? 'unknown';
  }
}

const cpuOf = (x: { userUs: number; sysUs: number }) => x.userUs + x.sysUs;

async function main() {
  // Backends: one NGINX with a worker per backend port would compete for the two cores with
  // the proxies; one worker serving three ports is fast enough not to be the bottleneck.
  const backendPorts = [await freePort(), await freePort(), await freePort()];
  writeFileSync(path.join(dir, 'big.bin'), Buffer.alloc(1024 * 1024, 120));
  const common = `pid ${dir}/%s.pid; error_log ${dir}/%s-error.log warn; worker_rlimit_nofile 65535; events { worker_connections 8192; }`;
  const httpCommon = `access_log off; client_body_temp_path ${dir}/tmp; proxy_temp_path ${dir}/tmp; fastcgi_temp_path ${dir}/tmp; uwsgi_temp_path ${dir}/tmp; scgi_temp_path ${dir}/tmp; keepalive_requests 1000000;`;
  mkdirSync(path.join(dir, 'tmp'), { recursive: true });
  writeFileSync(
    path.join(dir, 'backends.conf'),
    `daemon off; worker_processes 1; ${common.replaceAll('%s', 'backends')}
http { ${httpCommon} ${backendPorts.map((p) => `server { listen 127.0.0.1:${p}; location = /1m { alias ${dir}/big.bin; } location / { return 200 "hello from ${p}\\n"; } }`).join(' ')} }`,
  );
  const backendsProc = start(NGINX, ['-c', path.join(dir, 'backends.conf'), '-e', path.join(dir, 'backends-error.log')], 'backends');

  const ports = {
    fulcrum: await freePort(),
    fulcrumLog: await freePort(),
    fulcrumLogOff: await freePort(),
    fulcrum2: await freePort(),
    baseline: await freePort(),
    baselineLog: await freePort(),
    semi: await freePort(),
    pipe: await freePort(),
    nginx: await freePort(),
    haproxy: await freePort(),
  };
  const pool = (id: string, listenPort: number, protocol: 'http' | 'tcp' = 'http', accessLog = true) => ({
    id,
    name: id,
    protocol,
    listenHost: '127.0.0.1',
    listenPort,
    algorithm: 'round_robin',
    healthCheck: { enabled: false },
    accessLog: { enabled: accessLog },
    backends: backendPorts.map((p, i) => ({ id: `${id}-b${i}`, host: '127.0.0.1', port: p })),
  });
  const snapshotPort = (listenPort: number, protocol: 'http' | 'tcp' = 'http') => ({ version: 1, hash: 'bench', pools: [pool('bench', listenPort, protocol)] });
  writeFileSync(path.join(dir, 'fulcrum.json'), JSON.stringify(snapshotPort(ports.fulcrum)));
  writeFileSync(path.join(dir, 'fulcrum2.json'), JSON.stringify(snapshotPort(ports.fulcrum2)));
  // The logging process also serves a pool whose log is off: the log's cost measured within one
  // process too, free of the difference two processes' compiled code can make on their own.
  writeFileSync(path.join(dir, 'fulcrum-log.json'), JSON.stringify({ version: 1, hash: 'bench', pools: [pool('bench', ports.fulcrumLog), pool('bench-log-off', ports.fulcrumLogOff, 'http', false)] }));
  execFileSync(process.execPath, [path.join(pkg, 'scripts/build.mjs')], { cwd: pkg });
  const bundle = path.join(pkg, 'dist/fulcrum-dataplane.mjs');
  const fulcrumProc = start(process.execPath, [bundle, '--config', path.join(dir, 'fulcrum.json'), '--admin', 'off'], 'fulcrum');
  // The same proxy writing a JSON access-log line per request to a file: the cost of the access log.
  const fulcrumLogProc = start(process.execPath, [bundle, '--config', path.join(dir, 'fulcrum-log.json'), '--admin', 'off', '--access-log', path.join(dir, 'access.log')], 'fulcrum-log');
  const fulcrum2Proc = start(process.execPath, [bundle, '--config', path.join(dir, 'fulcrum2.json'), '--admin', 'off', '--workers', '2'], 'fulcrum-2w');
  writeFileSync(path.join(dir, 'pipe.json'), JSON.stringify(snapshotPort(ports.pipe, 'tcp')));
  const pipeProc = start(process.execPath, [bundle, '--config', path.join(dir, 'pipe.json'), '--admin', 'off'], 'tcp-pipe');
  const semiSpace = values['semi-space'] === undefined ? undefined : countOption(values['semi-space'], 0, 'semi-space', USAGE);
  let semiProc: ChildProcess | undefined;
  if (semiSpace !== undefined) {
    writeFileSync(path.join(dir, 'semi.json'), JSON.stringify(snapshotPort(ports.semi)));
    semiProc = start(process.execPath, [`--max-semi-space-size=${semiSpace}`, bundle, '--config', path.join(dir, 'semi.json'), '--admin', 'off'], 'fulcrum-semi-space');
  }
  let baselineProc: ChildProcess | undefined;
  let baselineLogProc: ChildProcess | undefined;
  if (BASELINE) {
    writeFileSync(path.join(dir, 'baseline.json'), JSON.stringify(snapshotPort(ports.baseline)));
    baselineProc = start(process.execPath, [BASELINE, '--config', path.join(dir, 'baseline.json'), '--admin', 'off'], 'fulcrum-baseline');
    // The previous build's access log too, so a change to the log's cost is measured in one run.
    writeFileSync(path.join(dir, 'baseline-log.json'), JSON.stringify(snapshotPort(ports.baselineLog)));
    baselineLogProc = start(
      process.execPath,
      [BASELINE, '--config', path.join(dir, 'baseline-log.json'), '--admin', 'off', '--access-log', path.join(dir, 'baseline-access.log')],
      'fulcrum-baseline-log',
    );
  }

  writeFileSync(path.join(dir, 'nginx.conf'), nginxProxyConfig(dir, ports.nginx, backendPorts));
  const nginxProc = start(NGINX, ['-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'proxy-error.log')], 'nginx');

  writeFileSync(path.join(dir, 'haproxy.cfg'), haproxyConfig(`127.0.0.1:${ports.haproxy}`, backendPorts));
  const haproxyProc = start(HAPROXY, ['-f', path.join(dir, 'haproxy.cfg'), '-db'], 'haproxy');

  const targets = [
    { name: 'direct', port: backendPorts[0]!, pid: backendsProc.pid },
    { name: 'TCP pipe', port: ports.pipe, pid: pipeProc.pid },
    { name: 'Fulcrum', port: ports.fulcrum, pid: fulcrumProc.pid },
    { name: 'Fulcrum+log', port: ports.fulcrumLog, pid: fulcrumLogProc.pid },
    { name: 'Fulcrum+log pool off', port: ports.fulcrumLogOff, pid: fulcrumLogProc.pid },
    { name: 'Fulcrum x2', port: ports.fulcrum2, pid: fulcrum2Proc.pid },
    ...(BASELINE
      ? [
          { name: 'Fulcrum baseline', port: ports.baseline, pid: baselineProc?.pid },
          { name: 'Fulcrum+log baseline', port: ports.baselineLog, pid: baselineLogProc?.pid },
        ]
      : []),
    ...(semiSpace ? [{ name: 'Fulcrum semi-space', port: ports.semi, pid: semiProc?.pid }] : []),
    { name: 'NGINX', port: ports.nginx, pid: nginxProc.pid },
    { name: 'HAProxy', port: ports.haproxy, pid: haproxyProc.pid },
  ].filter((t) => !ONLY || t.name === 'NGINX' || ONLY.has(t.name.toLowerCase()));
  const scenarios: { label: string; conns: number; path: string; tool?: LoadTool }[] = [
    { label: 'c50', conns: 50, path: '/' },
    ...(H2LOAD ? [{ label: 'c50 h2load', conns: 50, path: '/', tool: 'h2load' as const }] : []),
    { label: 'c200', conns: 200, path: '/' },
    ...(H2LOAD ? [{ label: 'c200 h2load', conns: 200, path: '/', tool: 'h2load' as const }] : []),
    { label: '1MiB c50', conns: 50, path: '/1m' },
  ].filter((s) => !SCENARIOS || SCENARIOS.has(s.label.split(' ')[0]!.toLowerCase()));
  // Rows of their own only (routes, https): the plain HTTP targets are not measured.
  if (scenarios.length === 0) targets.length = 0;
  await waitFor(backendPorts[0]!);
  for (const t of targets) await waitFor(t.port);
  const loadBefore = os.loadavg();
  const machine = `machine: ${os.cpus().length} cores, ${cpuModel()}; node ${process.version}; ${ROUNDS} rounds x ${SECONDS}s per cell, interleaved, after a ${WARMUP_SECONDS}s warm-up per target and scenario${semiSpace ? `; "Fulcrum semi-space": --max-semi-space-size=${semiSpace}` : ''}`;
  const loadLine = (when: string, l: number[]) => `load average ${when}: ${l.map((x) => x.toFixed(2)).join(' ')}`;
  console.log(`${machine}\n${loadLine('at the start', loadBefore)}`);

  const results = new Map<string, WrkResult[]>();
  for (const s of scenarios) {
    for (const t of targets) load(s.tool ?? 'wrk')(t.port, s.conns, s.path, WARMUP_SECONDS);
    for (let r = 0; r < ROUNDS; r++) {
      for (const t of r % 2 === 0 ? targets : [...targets].reverse()) {
        const res = measure(t.port, t.pid, s.conns, s.path, s.tool);
        const key = `${s.label}|${t.name}`;
        results.set(key, [...(results.get(key) ?? []), res]);
        process.stderr.write(`  ${s.label} round ${r + 1} ${t.name}: ${Math.round(res.rps)} req/s, p99 ${res.p99.toFixed(2)} ms${res.errors ? `, ${res.errors} errors` : ''}\n`);
      }
    }
  }

  const lines: string[] = [];
  const row = (cells: string[]) => lines.push(`| ${cells.join(' | ')} |`);
  if (scenarios.length > 0) {
    row(['scenario', 'target', 'req/s (median)', 'MB/s', 'p50 ms', 'p99 ms', 'errors', 'CPU µs/req (user+sys)', 'req/s vs NGINX', 'p99 vs NGINX', 'CPU vs NGINX', 'req/s vs HAProxy']);
    row(Array(12).fill('---'));
  }
  for (const s of scenarios) {
    const med = (name: string) => {
      const rs = results.get(`${s.label}|${name}`)!;
      return {
        rps: median(rs.map((x) => x.rps)),
        mbps: median(rs.map((x) => x.mbps)),
        p50: median(rs.map((x) => x.p50)),
        p99: median(rs.map((x) => x.p99)),
        userUs: median(rs.map((x) => x.userUs)),
        sysUs: median(rs.map((x) => x.sysUs)),
        errors: rs.reduce((a, x) => a + x.errors, 0),
      };
    };
    const has = (name: string) => targets.some((t) => t.name === name);
    const ng = med('NGINX');
    const ha = has('HAProxy') ? med('HAProxy') : undefined;
    for (const t of targets) {
      const m = med(t.name);
      const compared = t.name !== 'NGINX' && t.name !== 'direct';
      const ratio = (a: number, b: number | undefined) => (compared && b !== undefined ? (a / b).toFixed(2) : '');
      const cpu = Number.isNaN(m.userUs) ? '' : `${cpuOf(m).toFixed(1)} (${m.userUs.toFixed(1)}+${m.sysUs.toFixed(1)})`;
      row([
        s.label,
        t.name,
        Math.round(m.rps).toString(),
        m.mbps.toFixed(1),
        m.p50.toFixed(2),
        m.p99.toFixed(2),
        String(m.errors),
        cpu,
        ratio(m.rps, ng.rps),
        ratio(m.p99, ng.p99),
        ratio(cpuOf(m), cpuOf(ng)),
        t.name === 'HAProxy' ? '' : ratio(m.rps, ha?.rps),
      ]);
    }
    if (has('Fulcrum')) {
      const f = med('Fulcrum');
      const per = s.path === '/' ? 'request' : 'response';
      lines.push(
        '',
        `${s.label}: Fulcrum ${(f.rps / ng.rps).toFixed(2)}× NGINX's req/s, p99 ${(f.p99 / ng.p99).toFixed(2)}× NGINX's; CPU per ${per} ${cpuOf(f).toFixed(1)} µs beside NGINX's ${cpuOf(ng).toFixed(1)} µs (${(cpuOf(f) / cpuOf(ng)).toFixed(2)}×)`,
        '',
      );
    }
    // Paired round by round: each round's two cells ran seconds apart (adjacent in the order), so
    // the machine's drift between rounds, larger here than the log's cost, cancels out.
    const logCost = (offName: string, onName: string, label: string) => {
      if (!has(offName) || !has(onName)) return;
      const off = results.get(`${s.label}|${offName}`)!;
      const on = results.get(`${s.label}|${onName}`)!;
      const rpsCost = off.map((o, i) => (1 - on[i]!.rps / o.rps) * 100);
      const cpuCost = off.map((o, i) => (cpuOf(on[i]!) / cpuOf(o) - 1) * 100);
      const spread = (xs: number[]) => `${median(xs).toFixed(1)} % (rounds ${Math.min(...xs).toFixed(1)} to ${Math.max(...xs).toFixed(1)})`;
      lines.push(
        `${s.label}: access log (JSON to a file)${label} costs ${spread(rpsCost)} req/s, ${spread(cpuCost)} CPU per ${s.path === '/' ? 'request' : 'response'}, median of the rounds' paired ratios (goal ≤ 10 %)`,
        '',
      );
    };
    logCost('Fulcrum', 'Fulcrum+log', '');
    logCost('Fulcrum+log pool off', 'Fulcrum+log', ' against a pool without it in the same process');
    logCost('Fulcrum baseline', 'Fulcrum+log baseline', ' in the baseline build');
  }
  if (!SCENARIOS || SCENARIOS.has('routes')) lines.push('', ...(await routingBench({ wrk: WRK, bundle, dir, backendPorts, rounds: ROUNDS, seconds: SECONDS, freePort, start, waitFor })));
  if (!SCENARIOS || SCENARIOS.has('https')) {
    // Short cells: three rows x three targets; the TLS rows are about ratios, not absolute figures.
    const seconds = Math.min(SECONDS, 5);
    lines.push('', ...(await httpsBench({ wrk: WRK, nginx: NGINX, haproxy: HAPROXY, h2load: H2LOAD, bundle, dir, backendPorts, rounds: ROUNDS, seconds, freePort, start, treeCpu })));
  }
  const report = `${machine}\n${loadLine('at the start', loadBefore)}\n\n${lines.join('\n')}\n${loadLine('at the end', os.loadavg())}`;
  console.log(`\n${report}`);
  const outDir = path.resolve(pkg, '../../bench-results');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, `dataplane-${new Date().toISOString().replace(/[:.]/g, '-')}.md`), `${report}\n`);
  stopAll();
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  stopAll();
  process.exit(1);
});
