import { webEnv } from './env';
import { startServer } from './http-server';

process.env.NEXT_TELEMETRY_DISABLED ??= '1';

const running = await startServer({ port: webEnv.port, host: webEnv.host, dev: webEnv.dev });
console.log(`Fulcrum control plane on ${running.url} (dashboard, /api/trpc, /api/v1, /ws/dataplane)`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down`);
    running.close().then(
      () => process.exit(0),
      (err) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
}
