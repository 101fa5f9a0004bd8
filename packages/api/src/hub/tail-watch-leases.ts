import { z } from 'zod';

/** A lease not renewed within this long is gone: a replica killed mid-watch stops its data planes' tails after at most this. */
export const TAIL_LEASE_MS = 15_000;
/** Leases are renewed this often while watched (three renewals per lease: one lost notification does not end a watch). */
export const TAIL_RENEW_MS = 5_000;
/** Remote (replica, pool) leases kept at most; past it new ones are ignored (the link's `tail` message takes 1000 pools). */
const MAX_REMOTE_LEASES = 5_000;
/** Room for the JSON around the pool ids in one notification (NOTIFY's limit is 8000 bytes). */
const PAYLOAD_BUDGET = 7_900;

const ZLeaseMessage = z.object({
  cp: z.string().min(1).max(200),
  op: z.enum(['hold', 'release', 'ask']),
  pools: z.array(z.string().min(1).max(64)).max(1000),
});
type TLeaseMessage = z.infer<typeof ZLeaseMessage>;

/**
 * Who watches which pool's live tail on the other control-plane replicas, so that this one asks
 * its own data planes for those pools too. Shared by NOTIFY alone, no table: a replica holding
 * watchers announces `hold` when a pool gains its first watcher and every TAIL_RENEW_MS after,
 * `release` when the last leaves; the others keep each (replica, pool) until TAIL_LEASE_MS after
 * its last `hold`. A killed replica simply stops renewing; a notification missed during a LISTEN
 * reconnect is repaired by the next renewal (or at once: a replica that (re)connects sends `ask`).
 */
export class TailWatchLeases {
  /** pool id → (replica id → lease end). */
  private readonly remote = new Map<string, Map<string, number>>();
  private remoteCount = 0;
  private local: string[] = [];
  private renewTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private lastRemoteKey = '';

  constructor(
    private readonly controlPlaneId: string,
    /** Sends one notification on CHANNEL_TAIL_WATCH. */
    private readonly notify: (payload: string) => Promise<void>,
    /** The set of pools watched elsewhere changed. */
    private readonly onChange: () => void,
    private readonly opts: { leaseMs: number; renewMs: number } = { leaseMs: TAIL_LEASE_MS, renewMs: TAIL_RENEW_MS },
  ) {}

  start(): void {
    this.renewTimer ??= setInterval(() => this.announce('hold', this.local), this.opts.renewMs);
    this.sweepTimer ??= setInterval(() => this.changed(), Math.min(1000, this.opts.leaseMs / 4));
    this.renewTimer.unref();
    this.sweepTimer.unref();
  }

  /** Lets go of this replica's leases (the others stop at once rather than at their end). */
  async stop(): Promise<void> {
    clearInterval(this.renewTimer);
    clearInterval(this.sweepTimer);
    this.renewTimer = this.sweepTimer = undefined;
    await this.announce('release', this.local);
    this.local = [];
  }

  /** The pools watched on this replica now: the new ones are announced at once, those left are released. */
  setLocal(poolIds: string[]): void {
    const before = new Set(this.local);
    const now = new Set(poolIds);
    this.local = poolIds;
    void this.announce(
      'hold',
      poolIds.filter((p) => !before.has(p)),
    );
    void this.announce(
      'release',
      [...before].filter((p) => !now.has(p)),
    );
  }

  /** After LISTEN (re)connects: what the others hold is asked for, and this replica's is said again. */
  resync(): void {
    void this.announce('ask', []);
    void this.announce('hold', this.local);
  }

  /** A notification on CHANNEL_TAIL_WATCH. Anything malformed is ignored. */
  heard(payload: string): void {
    let msg: TLeaseMessage;
    try {
      const parsed = ZLeaseMessage.safeParse(JSON.parse(payload));
      if (!parsed.success) return;
      msg = parsed.data;
    } catch {
      return;
    }
    if (msg.cp === this.controlPlaneId) return;
    if (msg.op === 'ask') return void this.announce('hold', this.local);
    const until = Date.now() + this.opts.leaseMs;
    for (const poolId of msg.pools) {
      let holders = this.remote.get(poolId);
      if (msg.op === 'release') {
        if (holders?.delete(msg.cp)) this.remoteCount--;
        if (holders?.size === 0) this.remote.delete(poolId);
        continue;
      }
      if (!holders?.has(msg.cp) && this.remoteCount >= MAX_REMOTE_LEASES) continue;
      if (!holders) this.remote.set(poolId, (holders = new Map()));
      if (!holders.has(msg.cp)) this.remoteCount++;
      holders.set(msg.cp, until);
    }
    this.changed();
  }

  /** Whether a replica other than this one watches the pool (an unexpired lease). */
  isWatchedElsewhere(poolId: string): boolean {
    const holders = this.remote.get(poolId);
    if (!holders) return false;
    const now = Date.now();
    for (const until of holders.values()) if (until > now) return true;
    return false;
  }

  /** The pools watched on other replicas, now (expired leases dropped). */
  poolIds(): string[] {
    const now = Date.now();
    for (const [poolId, holders] of this.remote) {
      for (const [cp, until] of holders) {
        if (until > now) continue;
        holders.delete(cp);
        this.remoteCount--;
      }
      if (holders.size === 0) this.remote.delete(poolId);
    }
    return [...this.remote.keys()].sort();
  }

  private changed(): void {
    const key = JSON.stringify(this.poolIds());
    if (key === this.lastRemoteKey) return;
    this.lastRemoteKey = key;
    this.onChange();
  }

  /** One notification per PAYLOAD_BUDGET bytes of pool ids; a failed one is repaired by the next renewal. */
  private async announce(op: TLeaseMessage['op'], pools: string[]): Promise<void> {
    if (op !== 'ask' && pools.length === 0) return;
    const sends: Promise<void>[] = [];
    let chunk: string[] = [];
    let size = 0;
    const flush = () => {
      sends.push(this.notify(JSON.stringify({ cp: this.controlPlaneId, op, pools: chunk } satisfies TLeaseMessage)).catch(() => {}));
      chunk = [];
      size = 0;
    };
    for (const p of pools) {
      const bytes = Buffer.byteLength(JSON.stringify(p)) + 1;
      if (size + bytes > PAYLOAD_BUDGET - 256 || chunk.length >= 1000) flush();
      chunk.push(p);
      size += bytes;
    }
    if (chunk.length || op === 'ask') flush();
    await Promise.all(sends);
  }
}
