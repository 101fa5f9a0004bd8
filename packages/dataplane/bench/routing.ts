/**
 * What routing costs: one Fulcrum process whose listener holds 100 routes (50 exact hosts, 50
 * path prefixes, then a catch-all) against one whose listener holds only the catch-all, same
 * backends, interleaved wrk rounds. The request takes the slowest honest path through the big
 * table: an unknown host (so the host index gives the any-host list) and the path prefix that
 * sorts last among the 50, so ~50 prefix tests run before it matches. Goal (issue 16): ≤ 5 %.
 */
import { type ChildProcess, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { median } from './bench-support';
import { RouteTable, ZConfigSnapshot, normalizeHost, splitTarget } from '@fulcrum/protocol';

export interface RoutingBenchOptions {
  wrk: string;
  bundle: string;
  dir: string;
  backendPorts: number[];
  rounds: number;
  seconds: number;
  freePort(): Promise<number>;
  start(cmd: string, args: string[], name: string): ChildProcess;
  waitFor(port: number, pathname?: string): Promise<void>;
}

const ROUTES = 100;

function snapshot(port: number, backendPorts: number[], many: boolean) {
  const routes = many
    ? [
        ...Array.from({ length: ROUTES / 2 }, (_, i) => ({ id: `h${i}`, name: `h${i}`, match: { hosts: [`h${i}.example.com`] }, action: { type: 'pool', poolId: 'bench' } })),
        ...Array.from({ length: ROUTES / 2 }, (_, i) => ({
          id: `p${i}`,
          name: `p${i}`,
          match: { path: { type: 'prefix', value: `/svc${String(i).padStart(2, '0')}/` } },
          action: { type: 'pool', poolId: 'bench' },
        })),
      ]
    : [];
  routes.push({ id: 'all', name: 'all', match: {}, action: { type: 'pool', poolId: 'bench' } } as (typeof routes)[number]);
  return {
    schema: 2,
    version: 1,
    hash: many ? 'routes-100' : 'routes-1',
    pools: [
      { id: 'bench', name: 'bench', protocol: 'http', algorithm: 'round_robin', healthCheck: { enabled: false }, backends: backendPorts.map((p, i) => ({ id: `b${i}`, host: '127.0.0.1', port: p })) },
    ],
    listeners: [{ id: 'edge', name: 'edge', address: '127.0.0.1', port, routes }],
  };
}

function rps(wrk: string, port: number, seconds: number): number {
  const out = execFileSync(wrk, ['-t', '1', '-c', '50', '-d', `${seconds}s`, '-H', 'Host: unknown.example.org', `http://127.0.0.1:${port}/svc49/item`], { timeout: (seconds + 30) * 1000 }).toString();
  if (/Non-2xx or 3xx responses/.test(out)) throw new Error(`routing bench: non-2xx answers on ${port}:\n${out}`);
  return Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
}

/**
 * The routing step alone, in process (what the request above pays before the proxy): less
 * noisy than wrk on a busy machine, where the proxy's own work swamps the difference.
 */
export function matchNs(backendPorts: number[]): { one: number; many: number } {
  const table = (many: boolean) => new RouteTable(ZConfigSnapshot.parse(snapshot(1, backendPorts, many)).listeners[0]!.routes, (src) => new RegExp(src));
  const time = (t: RouteTable, n: number) => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const { path: p, query } = splitTarget('/svc49/item');
      if (!t.match({ host: normalizeHost('unknown.example.org'), path: p, query, method: 'GET', header: () => undefined })) throw new Error('no route');
    }
    return Number(process.hrtime.bigint() - t0) / n;
  };
  const one = table(false);
  const many = table(true);
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < 9; r++) {
    a.push(time(one, 200_000));
    b.push(time(many, 200_000));
  }
  return { one: median(a), many: median(b) };
}

/** Runs the comparison and returns the report lines (also printed by the caller). */
export async function routingBench(o: RoutingBenchOptions): Promise<string[]> {
  const ports = { one: await o.freePort(), many: await o.freePort() };
  for (const [name, many] of [
    ['one', false],
    ['many', true],
  ] as const) {
    const file = path.join(o.dir, `routes-${name}.json`);
    writeFileSync(file, JSON.stringify(snapshot(ports[name], o.backendPorts, many)));
    o.start(process.execPath, [o.bundle, '--config', file, '--admin', 'off'], `fulcrum-routes-${name}`);
  }
  // A loaded machine may take longer than one waitFor to start two more processes.
  const ready = async (port: number) => {
    for (let i = 0; ; i++) {
      try {
        return await o.waitFor(port, '/svc49/item');
      } catch (err) {
        if (i >= 3) throw err;
      }
    }
  };
  await ready(ports.one);
  await ready(ports.many);
  rps(o.wrk, ports.one, 2);
  rps(o.wrk, ports.many, 2);
  const one: number[] = [];
  const many: number[] = [];
  for (let r = 0; r < o.rounds; r++) {
    // Alternating which goes first, so neither always runs on a machine that just got busier.
    const order = r % 2 ? (['many', 'one'] as const) : (['one', 'many'] as const);
    for (const which of order) (which === 'one' ? one : many).push(rps(o.wrk, ports[which], o.seconds));
    process.stderr.write(`  routes round ${r + 1}: catch-all ${Math.round(one.at(-1)!)} req/s, 100 routes ${Math.round(many.at(-1)!)} req/s\n`);
  }
  const cost = (1 - median(many) / median(one)) * 100;
  const ns = matchNs(o.backendPorts);
  return [
    '| routing (c50, unknown host, last of 50 prefixes) | req/s (median) |',
    '| --- | --- |',
    `| 1 catch-all route | ${Math.round(median(one))} |`,
    `| ${ROUTES} host/path routes + catch-all | ${Math.round(median(many))} |`,
    '',
    `routing: 100 routes cost ${cost.toFixed(1)} % of req/s against one catch-all (goal ≤ 5 %)`,
    `routing step alone (in process): catch-all ${ns.one.toFixed(0)} ns, 100 routes ${ns.many.toFixed(0)} ns per request (+${(ns.many - ns.one).toFixed(0)} ns)`,
  ];
}
