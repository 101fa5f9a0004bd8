import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { type PrismaClient, isDataplaneTokenUsable, issueLocalDataplaneToken } from '@fulcrum/api';
import { type LocalDataplanePaths, type LocalDataplaneRecord, isRunning, readRecord, runsOurDataplane, stopLocalDataplane, writeRecord } from './local-dataplane-process';

// How often the supervisor looks whether the data plane still runs (it may not be our child).
const WATCH_MS = 1_000;
const RESTART_DELAY_MS = 2_000;
/** The log is moved aside to `.1` at a start when it has grown past this. */
const LOG_ROTATE_BYTES = 10 * 1024 * 1024;

export interface EmbeddedDataplaneOptions {
  /** The control plane's database, for the local data plane's token (through the tokens service). */
  prisma: PrismaClient;
  controlPlanePort: number;
  /** Set when the control plane serves https: the link is wss, verified with these flags (localLinkArgs). */
  linkTlsArgs?: string[];
  admin: string;
  paths: LocalDataplanePaths;
  /** Node arguments before the entry script (tests run the TypeScript source through tsx). */
  nodeArgs?: string[];
  log: (line: string) => void;
}

export interface EmbeddedDataplane {
  pid(): number | undefined;
  /** Stops watching; the data plane keeps serving (a control-plane restart takes it back). */
  detach(): void;
  /** Stops the data plane itself (FULCRUM_STOP_DATAPLANE_ON_EXIT). */
  stop(): Promise<void>;
}

function openLog(file: string): number {
  mkdirSync(path.dirname(file), { recursive: true });
  try {
    if (statSync(file).size > LOG_ROTATE_BYTES) renameSync(file, `${file}.1`);
  } catch {
    // no log yet
  }
  return openSync(file, 'a', 0o600);
}

/**
 * The one data plane the README's first command runs beside the control plane, as a process of
 * its own, exactly as a remote one runs: detached in its own process group, its output in its own
 * log file, recorded in a pid file. It outlives the control plane (a restart, an upgrade, a
 * crash), and the next start takes it back when the pid still runs our data plane, for this
 * control plane, with a token that is still usable; otherwise it is replaced. While the control
 * plane runs it restarts the data plane if it exits, unless `pnpm stop` removed its record.
 */
export async function startEmbeddedDataplane(opts: EmbeddedDataplaneOptions): Promise<EmbeddedDataplane | undefined> {
  const { paths, log, prisma } = opts;
  if (!existsSync(paths.entry)) {
    log(`no local data plane: ${paths.entry} is not built (pnpm --filter @fulcrum/dataplane build)`);
    return undefined;
  }
  const controlPlaneUrl = `${opts.linkTlsArgs ? 'wss' : 'ws'}://127.0.0.1:${opts.controlPlanePort}/ws/dataplane`;
  const tlsArgs = opts.linkTlsArgs ?? [];
  let running: LocalDataplaneRecord | undefined;
  let watching = true;

  /** Starts a new process; the token of the one it replaces is revoked, freeing its data-plane id. */
  const launch = async (replaces: LocalDataplaneRecord | undefined): Promise<void> => {
    const { id: tokenId, token } = await issueLocalDataplaneToken(prisma, replaces?.tokenId);
    const fd = openLog(paths.logFile);
    try {
      const child = spawn(
        process.execPath,
        [...(opts.nodeArgs ?? []), paths.entry, '--control-plane', controlPlaneUrl, ...tlsArgs, '--name', 'local', '--state-dir', paths.stateDir, '--admin', opts.admin],
        {
          detached: true,
          stdio: ['ignore', fd, fd],
          env: { ...process.env, FULCRUM_DATAPLANE_TOKEN: token },
        },
      );
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
      child.unref();
      running = { pid: child.pid!, tokenId, controlPlaneUrl, entry: paths.entry, startedAt: new Date().toISOString() };
    } finally {
      closeSync(fd);
    }
    writeRecord(paths.pidFile, running);
    log(`local data plane started (pid ${running.pid}, admin on ${opts.admin}, log in ${paths.logFile})`);
  };

  const previous = readRecord(paths.pidFile);
  if (previous && !previous.stoppedAt && runsOurDataplane(previous, paths.stateDir)) {
    const why =
      previous.controlPlaneUrl !== controlPlaneUrl
        ? `it links to ${previous.controlPlaneUrl}`
        : previous.entry !== paths.entry
          ? `it runs ${previous.entry}`
          : !(await isDataplaneTokenUsable(prisma, previous.tokenId))
            ? 'its token is revoked or expired'
            : undefined;
    if (why) {
      log(`replacing the local data plane (pid ${previous.pid}): ${why}`);
      await stopLocalDataplane(paths, previous);
    } else {
      running = previous;
      log(`took back the local data plane (pid ${previous.pid}, admin on ${opts.admin}, log in ${paths.logFile})`);
    }
  }
  if (!running) await launch(previous);

  let restarting = false;
  const watch = setInterval(() => {
    const pid = running?.pid;
    if (!watching || restarting || pid === undefined || isRunning(pid)) return;
    const record = readRecord(paths.pidFile);
    if (record?.pid !== pid || record.stoppedAt) {
      log(`local data plane (pid ${pid}) was stopped (pnpm stop); not restarting it`);
      watching = false;
      return;
    }
    restarting = true;
    log(`local data plane (pid ${pid}) exited; restarting in ${RESTART_DELAY_MS / 1000} s (see ${paths.logFile})`);
    setTimeout(() => {
      const again = watching ? launch(running) : Promise.resolve();
      again.catch((err) => log(`local data plane did not start: ${err instanceof Error ? err.message : String(err)}`)).finally(() => (restarting = false));
    }, RESTART_DELAY_MS).unref();
  }, WATCH_MS);
  watch.unref();

  const detach = () => {
    watching = false;
    clearInterval(watch);
  };
  return {
    pid: () => running?.pid,
    detach,
    async stop() {
      detach();
      if (running) await stopLocalDataplane(paths, running);
    },
  };
}
