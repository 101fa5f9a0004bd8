/** What the replica benchmarks share: two replicas on one database, percentiles, waiting on a condition, a hub's link endpoint, and running main. */
import { type Server, createServer } from 'node:http';
import { WebSocketServer } from 'ws';
import { createTestDatabase, stopTestServer } from '@fulcrum/db/testing';
import { DataplaneHub } from '../src/hub/dataplane-hub';

export const pct = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? NaN;

export async function until(what: string, check: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A hub's data-plane endpoint on 127.0.0.1 (a free port). */
export async function listen(hub: DataplaneHub): Promise<{ url: string; close: () => void }> {
  const wss = new WebSocketServer({ noServer: true });
  const http: Server = createServer();
  http.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => hub.admit(ws, req.headers.authorization)));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  return { url: `ws://127.0.0.1:${(http.address() as { port: number }).port}/ws/dataplane`, close: () => (wss.close(), http.close()) };
}

/** Runs a benchmark's main and exits with its outcome (the hubs' timers would keep the process up). */
export function run(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}

/** Two control-plane replicas (hubs) on one fresh database, the first's link endpoint, and an admin's tRPC context. */
export async function twoReplicas() {
  const db = await createTestDatabase();
  const prisma = db.prisma;
  const first = new DataplaneHub(prisma, { controlPlaneId: 'bench-first' });
  const second = new DataplaneHub(prisma, { controlPlaneId: 'bench-second' });
  first.start(db.url);
  second.start(db.url);
  const link = await listen(first);
  const admin = await prisma.user.create({ data: { email: 'bench@example.com', name: 'bench', passwordHash: 'x', role: 'admin' } });
  const ctx = { prisma, actor: { kind: 'user' as const, id: admin.id, name: admin.email, role: 'admin' as const }, resHeaders: new Headers() };
  const close = async () => {
    link.close();
    await first.stop();
    await second.stop();
    await db.drop();
    await stopTestServer();
  };
  return { db, prisma, first, second, link, ctx, close };
}
