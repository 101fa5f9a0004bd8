/** What the benchmark scripts share: their tools' paths, free ports, medians, the backends and pool they proxy to. */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { type ParseArgsConfig, parseArgs } from 'node:util';

/**
 * The script's options (`pnpm bench -- --quick` passes the `--` along, so it is dropped). `--help`
 * prints the usage; an unknown option or a missing value is named, with the usage, and exits 2.
 */
export function benchOptions<O extends NonNullable<ParseArgsConfig['options']>>(usage: string, options: O) {
  const args = process.argv.slice(2).filter((a) => a !== '--');
  if (args.includes('--help') || args.includes('-h')) {
    console.log(`Usage: ${usage}`);
    process.exit(0);
  }
  try {
    return parseArgs({ args, options, allowPositionals: false }).values;
  } catch (err) {
    console.error(`${(err as Error).message}\nUsage: ${usage}`);
    process.exit(2);
  }
}

/** A file option (a baseline build): its absolute path, or undefined when not given; a missing file exits 2. */
export function fileOption(value: string | undefined, name: string, usage: string): string | undefined {
  if (value === undefined) return undefined;
  const file = path.resolve(value);
  if (existsSync(file) && statSync(file).isFile()) return file;
  console.error(`--${name}: no such file: ${file}\nUsage: ${usage}`);
  process.exit(2);
}

/** A count option (rounds, seconds, requests): a whole number of at least 1, else the usage and exit 2. */
export function countOption(value: string | undefined, fallback: number, name: string, usage: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (Number.isInteger(n) && n >= 1) return n;
  console.error(`--${name} must be a whole number of at least 1, not ${JSON.stringify(value)}\nUsage: ${usage}`);
  process.exit(2);
}

/** The path of an installed command, or undefined. */
export function installed(cmd: string): string | undefined {
  try {
    return (
      execFileSync('sh', ['-c', `command -v ${cmd}`])
        .toString()
        .trim() || undefined
    );
  } catch {
    return undefined;
  }
}

/** The path of a command the benchmark cannot run without; exits naming the packages when it is missing. */
export function need(cmd: string, packages: string): string {
  const found = installed(cmd);
  if (found) return found;
  console.error(`${cmd} is not installed. The benchmark uses Debian's packages: apt-get install -y ${packages}`);
  process.exit(2);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * Three NGINX backends (one worker, keep-alive without limit) answering a short line, on free
 * ports, with their files in `dir`: what every data-plane benchmark proxies to.
 */
export async function startNginxBackends(nginx: string, dir: string): Promise<{ ports: number[]; proc: ChildProcess }> {
  const ports = [await freePort(), await freePort(), await freePort()];
  writeFileSync(
    path.join(dir, 'backends.conf'),
    `daemon off; worker_processes 1; pid ${dir}/backends.pid; error_log ${dir}/backends-error.log warn; events { worker_connections 4096; }
http { access_log off; client_body_temp_path ${dir}/tmp; proxy_temp_path ${dir}/tmp; fastcgi_temp_path ${dir}/tmp; uwsgi_temp_path ${dir}/tmp; scgi_temp_path ${dir}/tmp; keepalive_requests 1000000;
${ports.map((p) => `server { listen 127.0.0.1:${p}; location / { return 200 "hello from ${p}\\n"; } }`).join('\n')} }`,
  );
  mkdirSync(path.join(dir, 'tmp'), { recursive: true });
  const proc = spawn(nginx, ['-c', path.join(dir, 'backends.conf'), '-e', path.join(dir, 'backends-error.log')], { stdio: 'ignore' });
  return { ports, proc };
}

/**
 * A data-plane config file (`--config`) with the pool of `pnpm bench`: round robin over the
 * backends, access log on (no writer: its hooks only).
 */
export function writePoolConfig(file: string, id: string, port: number, backendPorts: number[]): string {
  writeFileSync(
    file,
    JSON.stringify({
      version: 1,
      hash: id,
      pools: [
        {
          id,
          name: id,
          protocol: 'http',
          listenHost: '127.0.0.1',
          listenPort: port,
          algorithm: 'round_robin',
          healthCheck: { enabled: false },
          accessLog: { enabled: true },
          backends: backendPorts.map((p, i) => ({ id: `b${i}`, host: '127.0.0.1', port: p })),
        },
      ],
    }),
  );
  return file;
}

/** Whether a data plane answers on `port` (within 2 s). */
export const answers = (port: number) =>
  fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2_000) }).then(
    (r) => r.ok,
    () => false,
  );

/** Waits for `cond`, polling every 200 ms; throws naming `what` after `ms`. */
export async function until(cond: () => Promise<boolean>, what: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`${what} not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** User and system CPU seconds used so far by a process and all its descendants (Linux /proc). */
export function treeCpu(root: number): { user: number; sys: number } {
  const parent = new Map<number, number>();
  const times = new Map<number, [number, number]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name, which is in parentheses and may hold spaces.
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parent.set(Number(entry), Number(f[1]));
      times.set(Number(entry), [Number(f[11]), Number(f[12])]);
    } catch {
      // the process ended meanwhile
    }
  }
  let user = 0;
  let sys = 0;
  for (const [pid, [u, s]] of times) {
    let p: number | undefined = pid;
    while (p && p !== root) p = parent.get(p);
    if (p !== root) continue;
    user += u;
    sys += s;
  }
  return { user: user / CLOCK_TICKS, sys: sys / CLOCK_TICKS };
}

/** NGINX as the proxy the benchmarks compare with: one worker, round robin over the backends, upstream keep-alive. */
export function nginxProxyConfig(dir: string, port: number, backendPorts: number[]): string {
  return `daemon off; worker_processes 1; pid ${dir}/proxy.pid; error_log ${dir}/proxy-error.log warn; worker_rlimit_nofile 65535; events { worker_connections 8192; }
http { access_log off; client_body_temp_path ${dir}/tmp; proxy_temp_path ${dir}/tmp; fastcgi_temp_path ${dir}/tmp; uwsgi_temp_path ${dir}/tmp; scgi_temp_path ${dir}/tmp; keepalive_requests 1000000;
  upstream pool { ${backendPorts.map((p) => `server 127.0.0.1:${p};`).join(' ')} keepalive 256; }
  server { listen 127.0.0.1:${port}; location / { proxy_pass http://pool; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering on; } } }`;
}
