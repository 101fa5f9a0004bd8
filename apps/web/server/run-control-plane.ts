import { type EmbeddedDataplane, startEmbeddedDataplane } from './embedded-dataplane';
import { webEnv } from './env';
import { type RunningServer, startServer } from './http-server';
import { type ServerTls, localLinkArgs, readServerTls } from './server-tls';

export interface RunOptions {
  /** Serve only the API (no Next): the real-process tests, which need no pages. */
  apiOnly?: boolean;
  /** Node arguments for the local data plane's process (tests run its source through tsx). */
  dataplaneNodeArgs?: string[];
  dataplaneEntry?: string;
}

/**
 * `pnpm start`: the control plane, then the local data plane (taken back if one still runs from
 * an earlier start). On SIGTERM or SIGINT the control plane stops and the data plane keeps
 * serving, unless FULCRUM_STOP_DATAPLANE_ON_EXIT=1.
 */
export async function runControlPlane(opts: RunOptions = {}): Promise<{ running: RunningServer; dataplane: EmbeddedDataplane | undefined }> {
  let tls: ServerTls | undefined;
  try {
    tls = readServerTls(webEnv.tlsCertFile, webEnv.tlsKeyFile);
  } catch (err) {
    // Refuse to start rather than serve plain http to someone who asked for https.
    console.error(`not starting: ${(err as Error).message}`);
    process.exit(2);
  }
  const running = await startServer({ port: webEnv.port, host: webEnv.host, dev: webEnv.dev, apiOnly: opts.apiOnly, trustedProxies: webEnv.trustedProxies, tls });
  console.log(`Fulcrum control plane on ${running.url} (dashboard, /api/trpc, /api/v1, /ws/dataplane${tls ? ' over wss' : ''})`);
  const dataplane = webEnv.embeddedDataplane
    ? await startEmbeddedDataplane({
        prisma: running.database.prisma,
        controlPlanePort: running.port,
        linkTlsArgs: tls && localLinkArgs(tls),
        admin: webEnv.dataplaneAdmin,
        paths: { pidFile: webEnv.dataplanePidFile, logFile: webEnv.dataplaneLogFile, stateDir: webEnv.dataplaneStateDir, entry: opts.dataplaneEntry ?? webEnv.dataplaneBundle },
        nodeArgs: opts.dataplaneNodeArgs,
        log: (l) => console.log(l),
      })
    : undefined;

  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      console.log(`${signal}: shutting down${dataplane && !webEnv.stopDataplaneOnExit ? '; the local data plane keeps serving (pnpm stop stops it)' : ''}`);
      const stopDataplane = webEnv.stopDataplaneOnExit ? (dataplane?.stop() ?? Promise.resolve()) : Promise.resolve(dataplane?.detach());
      stopDataplane
        .then(() => running.close())
        .then(
          () => process.exit(0),
          (err) => {
            console.error(err);
            process.exit(1);
          },
        );
    });
  }
  return { running, dataplane };
}
