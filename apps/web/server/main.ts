import { startEmbeddedDataplane } from './embedded-dataplane';
import { webEnv } from './env';
import { startServer } from './http-server';

const running = await startServer({ port: webEnv.port, host: webEnv.host, dev: webEnv.dev });
console.log(`Fulcrum control plane on ${running.url} (dashboard, /api/trpc, /api/v1, /ws/dataplane)`);
const stopDataplane = webEnv.embeddedDataplane
  ? await startEmbeddedDataplane({ controlPlanePort: running.port, stateDir: webEnv.dataplaneStateDir, admin: webEnv.dataplaneAdmin, log: (l) => console.log(l) })
  : undefined;

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down`);
    stopDataplane?.();
    running.close().then(
      () => process.exit(0),
      (err) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
}
