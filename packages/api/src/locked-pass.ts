import pg from 'pg';

/**
 * Background work that one control-plane replica at a time carries out: each pass first tries a
 * session-level advisory lock on a connection of its own (Prisma's pooled connections cannot
 * hold a session lock across a pass's queries); the replica that gets it runs the pass, the
 * others skip it. Ending the session releases the lock, also when the pass throws.
 */
export async function withSessionTryLock<T>(databaseUrl: string, lockId: number, pass: () => Promise<T>): Promise<{ ran: true; result: T } | { ran: false }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on('error', () => {}); // a dropped connection drops the lock; the pass's own queries report the failure
  await client.connect();
  try {
    const got = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [lockId]);
    if (!got.rows[0]?.ok) return { ran: false };
    return { ran: true, result: await pass() };
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Runs `pass` soon after start (within `firstWithinMs`) and then every `intervalMs`, never two at
 * once; a failure is logged, and the next tick tries again. stop() waits for a running pass.
 */
export class PeriodicPass {
  private timers: NodeJS.Timeout[] = [];
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly pass: () => Promise<void>,
    private readonly opts: { intervalMs: number; firstWithinMs: number; onError: (err: unknown) => void },
  ) {}

  start(): void {
    if (this.timers.length) return;
    const tick = () => {
      if (this.running || !this.timers.length) return;
      this.running = this.pass()
        .catch(this.opts.onError)
        .finally(() => (this.running = undefined));
    };
    this.timers = [setInterval(tick, this.opts.intervalMs), setTimeout(tick, Math.min(this.opts.intervalMs, this.opts.firstWithinMs))];
    for (const t of this.timers) t.unref();
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    await this.running;
  }
}
