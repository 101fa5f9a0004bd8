#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import cluster from 'node:cluster';
import { parseArgs } from 'node:util';
import { startAdminServer } from './admin/admin-server';
import { Dataplane } from './dataplane';
import { dataplaneEnv } from './env';
import { runCluster } from './cluster/cluster';
import type { TStatsFrame } from '@fulcrum/protocol';

const USAGE = `fulcrum-dataplane: the Fulcrum proxy

  fulcrum-dataplane --config pools.json [--admin 127.0.0.1:9901] [--workers N]

  --config FILE   a config snapshot (the control plane's compiled format) to serve
  --admin H:P     admin endpoint for /stats, /metrics and /health (default ${dataplaneEnv.admin}; "off" to disable)
  --workers N     N processes sharing the listeners (one per core is the usual); stats and
                  health are merged by the primary. Default 1 (a single process).
`;

function parseHostPort(v: string): { host: string; port: number } {
  const i = v.lastIndexOf(':');
  const port = Number(v.slice(i + 1));
  if (i < 0 || !Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`not host:port: ${v}`);
  return { host: v.slice(0, i) || '127.0.0.1', port };
}

async function main(): Promise<void> {
  if (cluster.isWorker) return runCluster({ workers: 0, snapshot: undefined });
  const { values } = parseArgs({
    options: { config: { type: 'string' }, admin: { type: 'string' }, workers: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help || !values.config) {
    process.stdout.write(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const raw = JSON.parse(readFileSync(values.config, 'utf8')) as unknown;
  const workers = Number(values.workers ?? 1);
  const admin = values.admin ?? dataplaneEnv.admin;
  if (workers > 1) return runCluster({ workers, snapshot: raw, admin: admin === 'off' ? undefined : parseHostPort(admin) });

  const dp = new Dataplane();
  dp.on('event', (e) => console.log(`[${e.kind}] ${e.message}`));
  const result = await dp.applySnapshot(raw);
  if (!result.ok) {
    console.error(`config refused: ${result.error}`);
    process.exit(1);
  }
  let lastFrame: TStatsFrame | undefined;
  setInterval(() => (lastFrame = dp.collectFrame()), 1000).unref();
  const source = {
    id: dp.id,
    configVersion: () => dp.version,
    lastFrame: () => lastFrame,
    rows: () => dp.backendViews(),
    events: () => dp.recentEvents,
  };
  const adminServer = admin === 'off' ? undefined : await startAdminServer(source, parseHostPort(admin).host, parseHostPort(admin).port);
  console.log(`serving config ${result.version}: ${dp.snapshot?.pools.map((p) => `${p.name} on ${p.listenHost}:${p.listenPort}`).join(', ')}`);
  const stop = async () => {
    adminServer?.close();
    await dp.stop();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
