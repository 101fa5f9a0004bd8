#!/usr/bin/env node
import process from 'node:process';
import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import cluster from 'node:cluster';
import { parseArgs } from 'node:util';
import { adminBindRefusal } from './admin/admin-auth';
import { type AdminSource, startAdminServer } from './admin/admin-server';
import { AccessLogWriter } from './access-log/access-log-writer';
import { Dataplane } from './dataplane';
import { dataplaneEnv } from './env';
import { ClusterPrimary, runCluster, runWorker } from './cluster/cluster';
import { readConfigFile, reloadOnSighup } from './config-file/config-file-reload';
import { ControlPlaneClient } from './control-plane/control-plane-client';
import { type LinkTls, readLinkTls } from './control-plane/link-tls';
import { DEFAULT_MAX_LISTENER_CONNECTIONS } from './runtime/connection-limits';
import { type FdLimitReport, defaultMaxConnections, raiseFdLimit } from './runtime/fd-limit';
import { internalErrors } from './runtime/internal-errors';
import { guardLogOutput } from './log-output';
import { LastGoodConfig } from './state/last-good-config';

const SOFTWARE_VERSION = '0.1.0';

const USAGE = `fulcrum-dataplane: the Fulcrum proxy

  fulcrum-dataplane --config pools.json [--admin 127.0.0.1:9901] [--workers N]
  fulcrum-dataplane --control-plane ws://host:3000/ws/dataplane --token T [--name N] [--state-dir D]

  --config FILE   a config snapshot (the control plane's compiled format) to serve; SIGHUP reads
                  it again and swaps it in if valid (a refused file leaves the running config)
  --admin H:P     admin endpoint for /stats, /metrics and /health (default ${dataplaneEnv.admin}; "off" to disable)
  --admin-token T bearer token /stats and /metrics require (or FULCRUM_ADMIN_TOKEN, 16+ characters);
                  required when --admin is not a loopback address
  --max-connections N           client connections the process accepts in all (FULCRUM_MAX_CONNECTIONS;
                  default: half the descriptor limit, less a reserve); more are closed at accept
  --max-listener-connections N  client connections one listener accepts (FULCRUM_MAX_LISTENER_CONNECTIONS;
                  default ${DEFAULT_MAX_LISTENER_CONNECTIONS})
  --control-plane URL  take config from a control plane (token of role dataplane in --token
                  or FULCRUM_DATAPLANE_TOKEN); the last applied config is kept in --state-dir
                  (default ~/.fulcrum/dataplane) and served at start when the control plane is away;
                  wss://host:3000/ws/dataplane links over TLS (the control plane serves https)
  --control-plane-ca FILE  PEM CA that issued a wss:// control plane's certificate, trusted instead
                  of the system's roots (FULCRUM_CONTROL_PLANE_CA); certificates are always verified
  --control-plane-servername NAME  the name the certificate must hold when the URL gives an address
                  (FULCRUM_CONTROL_PLANE_SERVERNAME)
  --access-log PATH|-  one line per request (and per refused request) to PATH, or "-" for stdout
                  (FULCRUM_ACCESS_LOG); per-pool format and sampling come with the config.
                  SIGUSR1 reopens PATH (for logrotate). Lines the disk cannot take are dropped and counted.
  --workers N     N processes sharing the listeners (one per core is the usual), with --config or
                  --control-plane; one data plane to the control plane: health checked once (by
                  one worker, shared with the rest), stats merged. Connection caps hold per worker.
                  Default 1 (a single process).
`;

function parseHostPort(v: string): { host: string; port: number } {
  const i = v.lastIndexOf(':');
  const port = Number(v.slice(i + 1));
  if (i < 0 || !Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`not host:port: ${v}`);
  return { host: v.slice(0, i) || '127.0.0.1', port };
}

function positiveInt(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a whole number of at least 1, not ${v}`);
  return n;
}

export interface ServeSettings {
  admin?: { host: string; port: number; token?: string };
  accessLog?: AccessLogWriter;
  /** Where `--access-log` writes (cluster workers open it themselves). */
  accessLogPath?: string;
  maxConnections: number;
  maxListenerConnections: number;
  fd: FdLimitReport;
}

/** What /stats and /metrics show about this process besides traffic. */
function processView(dp: Dataplane, settings: ServeSettings) {
  return () => ({ internalErrors: internalErrors.counts, connections: dp.connections(), fdLimit: settings.fd.nofile, fdLimitNote: settings.fd.note, refusedPools: dp.refusedPools });
}

async function main(): Promise<void> {
  internalErrors.install();
  guardLogOutput();
  if (cluster.isWorker) return runWorker(openAccessLog(dataplaneEnv.accessLog));
  const { values } = parseArgs({
    options: {
      config: { type: 'string' },
      admin: { type: 'string' },
      'admin-token': { type: 'string' },
      'max-connections': { type: 'string' },
      'max-listener-connections': { type: 'string' },
      workers: { type: 'string' },
      'control-plane': { type: 'string' },
      'control-plane-ca': { type: 'string' },
      'control-plane-servername': { type: 'string' },
      token: { type: 'string' },
      name: { type: 'string' },
      'state-dir': { type: 'string' },
      'access-log': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const controlPlane = values['control-plane'] ?? dataplaneEnv.controlPlane;
  if (values.help || (!values.config && !controlPlane)) {
    process.stdout.write(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const adminFlag = values.admin ?? dataplaneEnv.admin;
  const adminToken = values['admin-token'] ?? dataplaneEnv.adminToken;
  const admin = adminFlag === 'off' ? undefined : { ...parseHostPort(adminFlag), token: adminToken };
  const refusal = admin && adminBindRefusal(admin.host, admin.token);
  if (refusal) {
    console.error(refusal);
    process.exit(2);
  }
  // Before any listener: descriptors are what a proxy runs out of first.
  const fd = raiseFdLimit();
  console.log(`descriptors: ${fd.note}`);
  const accessLogPath = values['access-log'] ?? dataplaneEnv.accessLog;
  let accessLog: AccessLogWriter | undefined;
  try {
    accessLog = openAccessLog(accessLogPath);
  } catch (err) {
    console.error(`--access-log ${accessLogPath}: ${(err as Error).message}`);
    process.exit(2);
  }
  const settings: ServeSettings = {
    admin,
    accessLog,
    accessLogPath,
    fd,
    maxConnections: positiveInt('--max-connections', values['max-connections'] ?? dataplaneEnv.maxConnections) ?? defaultMaxConnections(fd.nofile),
    maxListenerConnections: positiveInt('--max-listener-connections', values['max-listener-connections'] ?? dataplaneEnv.maxListenerConnections) ?? DEFAULT_MAX_LISTENER_CONNECTIONS,
  };
  const workers = positiveInt('--workers', values.workers) ?? 1;
  if (controlPlane) {
    let tls: LinkTls;
    try {
      tls = readLinkTls({
        url: controlPlane,
        caFile: values['control-plane-ca'] ?? dataplaneEnv.controlPlaneCa,
        servername: values['control-plane-servername'] ?? dataplaneEnv.controlPlaneServername,
      });
    } catch (err) {
      console.error((err as Error).message);
      process.exit(2);
    }
    return runLinked(controlPlane, { ...values, workers, tls }, settings);
  }
  const configFile = values.config!;
  const first = await readConfigFile(configFile);
  if (!first.ok) {
    console.error(`config refused: ${first.error}`);
    process.exit(1);
  }
  const raw = first.raw;
  if (workers > 1)
    return runCluster({
      workers,
      snapshot: raw,
      configFile,
      admin,
      accessLog: accessLogPath,
      limits: { maxConnections: settings.maxConnections, maxListenerConnections: settings.maxListenerConnections },
      fd,
    });

  const dp = new Dataplane({ maxConnections: settings.maxConnections, maxListenerConnections: settings.maxListenerConnections, accessLog });
  dp.on('event', (e) => console.log(`[${e.kind}] ${e.message}`));
  const serving = () => `${dp.snapshot?.listeners.map((l) => `${l.name} on ${l.address}:${l.port} (${l.routes.length} route${l.routes.length === 1 ? '' : 's'})`).join(', ')}`;
  reloadOnSighup(configFile, dp, serving, (line) => console.log(line));
  const result = await dp.applySnapshot(raw);
  if (!result.ok) {
    console.error(`config refused: ${result.error}`);
    process.exit(1);
  }
  setInterval(() => dp.collectFrame(), 1000).unref();
  const adminServer = admin ? await startAdminServer(adminSource(dp, settings), admin) : undefined;
  console.log(`serving config ${result.version}: ${serving()}`);
  const stop = async () => {
    adminServer?.close();
    await dp.stop();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

async function runLinked(url: string, values: { token?: string; name?: string; 'state-dir'?: string; workers: number; tls: LinkTls }, settings: ServeSettings): Promise<void> {
  const token = values.token ?? dataplaneEnv.token;
  if (!token) throw new Error('--token (or FULCRUM_DATAPLANE_TOKEN) is required with --control-plane');
  const name = values.name ?? os.hostname();
  const lastGood = new LastGoodConfig(values['state-dir'] ?? path.join(os.homedir(), '.fulcrum', 'dataplane'));
  const id = `${name}-${createHash('sha256').update(url).digest('hex').slice(0, 6)}`;
  const limits = { maxConnections: settings.maxConnections, maxListenerConnections: settings.maxListenerConnections };
  let dp: Dataplane | ClusterPrimary;
  let source: AdminSource;
  if (values.workers > 1) {
    // One data plane to the control plane (one id, one link, one health checker), N processes serving.
    const primary = new ClusterPrimary({ workers: values.workers, limits, fd: settings.fd, id, accessLog: settings.accessLogPath });
    primary.start();
    dp = primary;
    source = primary.adminSource(settings.fd);
  } else {
    const single = new Dataplane({ id, ...limits, accessLog: settings.accessLog });
    single.on('event', (e) => console.log(`[${e.kind}] ${e.message}`));
    dp = single;
    source = adminSource(single, settings);
  }
  const saved = lastGood.load();
  if (saved) {
    const r = await dp.applySnapshot(saved);
    console.log(r.ok ? `serving saved config ${r.version} until the control plane answers` : `saved config refused: ${r.error}`);
  }
  const client = new ControlPlaneClient(dp, { url, token, name, softwareVersion: SOFTWARE_VERSION, lastGood, tls: values.tls, log: (l) => console.log(l) });
  client.start();
  const adminServer = settings.admin ? await startAdminServer(source, settings.admin) : undefined;
  const stop = async () => {
    client.stop();
    adminServer?.close();
    if (dp instanceof ClusterPrimary) {
      dp.stop();
      setTimeout(() => process.exit(0), 2000).unref();
      return;
    }
    await dp.stop();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** The access-log writer `--access-log` asks for; SIGUSR1 reopens its file (logrotate). */
function openAccessLog(destination: string | undefined): AccessLogWriter | undefined {
  if (!destination) return undefined;
  const writer = new AccessLogWriter(destination);
  process.on('SIGUSR1', () => writer.reopen());
  return writer;
}

/** A single process's admin view; frames are collected once a second (for the control plane, or by the timer without one). */
function adminSource(dp: Dataplane, settings: ServeSettings): AdminSource {
  return { id: dp.id, configVersion: () => dp.version, lastFrame: () => dp.lastFrame, metrics: () => dp.metricsView(), events: () => dp.recentEvents, process: processView(dp, settings) };
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
