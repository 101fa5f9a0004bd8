/**
 * TLS and HTTP/2 at the edge (issue 16): Fulcrum, NGINX and HAProxy terminating TLS with the
 * same ECDSA P-256 certificate in front of the same backends, interleaved rounds:
 * - `https c50`: keep-alive requests/s over HTTPS (wrk);
 * - `handshakes c50`: new TLS handshakes/s (wrk with `Connection: close`: one full handshake
 *   per request, no session resumption);
 * - `h2 c10 m10`: HTTP/2 requests/s (h2load, 10 connections x 10 streams), to HTTP/1.1 backends.
 * Each process runs one worker/thread, as in the plain HTTP rows. h2load comes from Debian's
 * `nghttp2-client`; without it the h2 row is left out, with a note.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { median } from './bench-support';
import { certificateKeyRef } from '@fulcrum/protocol';
import { TestPki } from '@fulcrum/test-support';
import { haproxyConfig } from './haproxy-config';
import type { RoutingBenchOptions } from './routing';

export interface HttpsBenchOptions extends Omit<RoutingBenchOptions, 'waitFor'> {
  nginx: string;
  haproxy: string;
  /** h2load, when installed. */
  h2load: string | undefined;
  /** User and system CPU seconds of a process and its children so far. */
  treeCpu(pid: number): { user: number; sys: number };
}

interface Cell {
  rps: number;
  p99: number | undefined;
  errors: number;
  /** CPU µs per request (user + system) of the target's processes. */
  cpuUs: number;
}

interface Scenario {
  label: string;
  run(port: number, seconds: number): Omit<Cell, 'cpuUs'>;
}

const NAME = 'bench.test';

function wrkCell(wrk: string, args: string[], port: number, seconds: number): Omit<Cell, 'cpuUs'> {
  const out = execFileSync(wrk, ['-t', '1', '-d', `${seconds}s`, '--latency', ...args, `https://127.0.0.1:${port}/`], { timeout: (seconds + 30) * 1000 }).toString();
  const p99 = /\s99%\s+([\d.]+)(us|ms|s)/.exec(out);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]),
    p99: p99 ? Number(p99[1]) * (p99[2] === 'us' ? 0.001 : p99[2] === 's' ? 1000 : 1) : undefined,
    // wrk counts a server's close after `Connection: close` as a read error: only the others count.
    errors: non2xx + (sock ? Number(sock[1]) + Number(sock[3]) + Number(sock[4]) : 0),
  };
}

function h2loadCell(h2load: string, port: number, seconds: number): Omit<Cell, 'cpuUs'> {
  const out = execFileSync(h2load, ['-c', '10', '-m', '10', '-t', '1', '-D', String(seconds), `https://127.0.0.1:${port}/`], { timeout: (seconds + 30) * 1000 }).toString();
  const done = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(out);
  const codes = /status codes: (\d+) 2xx/.exec(out);
  const ok = Number(codes?.[1] ?? 0);
  return { rps: Number(/finished in [\d.]+\w*, ([\d.]+) req\/s/.exec(out)?.[1]), p99: undefined, errors: done ? Number(done[5]) + Number(done[6]) + (Number(done[3]) - ok) : NaN };
}

async function waitForTls(port: number): Promise<void> {
  const deadline = Date.now() + 90_000;
  const { connect } = await import('node:tls');
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, servername: NAME }, () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no TLS on ${port}`);
}

/** Runs the three rows and returns the report lines. */
export async function httpsBench(o: HttpsBenchOptions): Promise<string[]> {
  const pki = await TestPki.create();
  try {
    const leaf = await pki.leaf({ names: [NAME], ecdsa: true });
    const chainFile = path.join(o.dir, 'tls-chain.pem');
    const keyFile = path.join(o.dir, 'tls-key.pem');
    writeFileSync(chainFile, leaf.chain);
    writeFileSync(keyFile, leaf.key);
    // HAProxy reads the chain and key from one file.
    writeFileSync(path.join(o.dir, 'tls-combined.pem'), leaf.chain + leaf.key);

    const ports = { fulcrum: await o.freePort(), nginx: await o.freePort(), haproxy: await o.freePort() };
    const upstream = o.backendPorts.map((p, i) => ({ id: `b${i}`, host: '127.0.0.1', port: p }));
    writeFileSync(
      path.join(o.dir, 'fulcrum-https.json'),
      JSON.stringify({
        schema: 2,
        version: 1,
        hash: 'bench-https',
        pools: [{ id: 'bench', name: 'bench', protocol: 'http', algorithm: 'round_robin', healthCheck: { enabled: false }, backends: upstream }],
        listeners: [
          {
            id: 'edge',
            name: 'edge',
            address: '127.0.0.1',
            port: ports.fulcrum,
            protocol: 'https',
            tls: { certificateIds: ['bench'], http2: true },
            routes: [{ id: 'all', name: 'all', action: { type: 'pool', poolId: 'bench' } }],
          },
        ],
        certificates: [{ id: 'bench', name: 'bench', version: 1, names: [NAME], chain: leaf.chain }],
        secrets: { [certificateKeyRef('bench')]: leaf.key },
      }),
    );
    const fulcrum = o.start(process.execPath, [o.bundle, '--config', path.join(o.dir, 'fulcrum-https.json'), '--admin', 'off'], 'fulcrum-https');

    // NGINX 1.22 (Debian 12) spells HTTP/2 as a listen parameter.
    writeFileSync(
      path.join(o.dir, 'nginx-https.conf'),
      `daemon off; worker_processes 1; pid ${o.dir}/nginx-https.pid; error_log ${o.dir}/nginx-https-error.log warn; worker_rlimit_nofile 65535; events { worker_connections 8192; }
http { access_log off; client_body_temp_path ${o.dir}/tmp; proxy_temp_path ${o.dir}/tmp; fastcgi_temp_path ${o.dir}/tmp; uwsgi_temp_path ${o.dir}/tmp; scgi_temp_path ${o.dir}/tmp; keepalive_requests 1000000; http2_max_requests 1000000;
  upstream pool { ${o.backendPorts.map((p) => `server 127.0.0.1:${p};`).join(' ')} keepalive 256; }
  server { listen 127.0.0.1:${ports.nginx} ssl http2; ssl_certificate ${chainFile}; ssl_certificate_key ${keyFile}; ssl_protocols TLSv1.2 TLSv1.3;
    location / { proxy_pass http://pool; proxy_http_version 1.1; proxy_set_header Connection ""; } } }`,
    );
    const nginx = o.start(o.nginx, ['-c', path.join(o.dir, 'nginx-https.conf'), '-e', path.join(o.dir, 'nginx-https-error.log')], 'nginx-https');

    writeFileSync(path.join(o.dir, 'haproxy-https.cfg'), haproxyConfig(`127.0.0.1:${ports.haproxy} ssl crt ${o.dir}/tls-combined.pem alpn h2,http/1.1 ssl-min-ver TLSv1.2`, o.backendPorts));
    const haproxy = o.start(o.haproxy, ['-f', path.join(o.dir, 'haproxy-https.cfg'), '-db'], 'haproxy-https');

    const targets = [
      { name: 'Fulcrum', port: ports.fulcrum, pid: fulcrum.pid! },
      { name: 'NGINX', port: ports.nginx, pid: nginx.pid! },
      { name: 'HAProxy', port: ports.haproxy, pid: haproxy.pid! },
    ];
    for (const t of targets) await waitForTls(t.port);

    const scenarios: Scenario[] = [
      { label: 'https c50', run: (port, s) => wrkCell(o.wrk, ['-c', '50'], port, s) },
      { label: 'handshakes c50', run: (port, s) => wrkCell(o.wrk, ['-c', '50', '-H', 'Connection: close'], port, s) },
    ];
    const h2load = o.h2load;
    if (h2load) scenarios.push({ label: 'h2 c10 m10', run: (port, s) => h2loadCell(h2load, port, s) });

    const results = new Map<string, Cell[]>();
    for (const s of scenarios) {
      for (const t of targets) s.run(t.port, 2);
      for (let r = 0; r < o.rounds; r++) {
        for (const t of targets) {
          const before = o.treeCpu(t.pid);
          const cell = s.run(t.port, o.seconds);
          const after = o.treeCpu(t.pid);
          const cpuUs = ((after.user - before.user + after.sys - before.sys) * 1e6) / (cell.rps * o.seconds);
          results.set(`${s.label}|${t.name}`, [...(results.get(`${s.label}|${t.name}`) ?? []), { ...cell, cpuUs }]);
          process.stderr.write(`  ${s.label} round ${r + 1} ${t.name}: ${Math.round(cell.rps)} req/s${cell.errors ? `, ${cell.errors} errors` : ''}\n`);
        }
      }
    }

    const lines = ['| TLS scenario (ECDSA P-256) | target | req/s (median) | p99 ms | errors | CPU µs/req | req/s vs NGINX | req/s vs HAProxy |', '| --- | --- | --- | --- | --- | --- | --- | --- |'];
    for (const s of scenarios) {
      const med = (name: string) => {
        const cells = results.get(`${s.label}|${name}`)!;
        const p99s = cells.flatMap((c) => (c.p99 === undefined ? [] : [c.p99]));
        return { rps: median(cells.map((c) => c.rps)), p99: p99s.length ? median(p99s) : undefined, cpu: median(cells.map((c) => c.cpuUs)), errors: cells.reduce((a, c) => a + c.errors, 0) };
      };
      const ng = med('NGINX');
      const ha = med('HAProxy');
      for (const t of targets) {
        const m = med(t.name);
        lines.push(
          `| ${s.label} | ${t.name} | ${Math.round(m.rps)} | ${m.p99 === undefined ? '' : m.p99.toFixed(2)} | ${m.errors} | ${m.cpu.toFixed(1)} | ${t.name === 'NGINX' ? '' : (m.rps / ng.rps).toFixed(2)} | ${t.name === 'HAProxy' ? '' : (m.rps / ha.rps).toFixed(2)} |`,
        );
      }
    }
    if (!h2load) lines.push('', 'h2 row left out: h2load is not installed (apt-get install -y nghttp2-client)');
    return lines;
  } finally {
    pki.dispose();
  }
}
