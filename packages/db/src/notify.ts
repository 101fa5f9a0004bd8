import pg from 'pg';
import { connectionParts } from './connection-url';

/** A config revision was committed; payload: its version. */
export const CHANNEL_REVISION = 'fulcrum_revision';
/** An event was recorded; payload: its id. */
export const CHANNEL_EVENTS = 'fulcrum_events';
/** A data plane's stats frame was stored; payload: `<row id>|<control-plane id that received it>`. */
export const CHANNEL_STATS = 'fulcrum_stats';
/** The set of pending ACME HTTP-01 challenges changed; payload: its highest seq. */
export const CHANNEL_ACME = 'fulcrum_acme';
/** A replica's live-tail watch leases, JSON: `{cp, op: 'hold' | 'release' | 'ask', pools}` (ask: the others renew theirs now). */
export const CHANNEL_TAIL_WATCH = 'fulcrum_tail_watch';
/** Live-tail lines for pools watched on other replicas, JSON under 8000 bytes: `{cp, d: dropped, l: [access records]}`. */
export const CHANNEL_TAIL_LINES = 'fulcrum_tail_lines';

interface RawExecutor {
  $executeRaw(query: TemplateStringsArray, ...values: unknown[]): Promise<number>;
}

/**
 * Sends a notification through PostgreSQL. Inside a transaction it is delivered when the
 * transaction commits, and not at all when it rolls back.
 */
export async function notify(db: RawExecutor, channel: string, payload: string): Promise<void> {
  await db.$executeRaw`SELECT pg_notify(${channel}, ${payload})`;
}

export interface PgListener {
  close(): Promise<void>;
  /** Resolves once LISTEN is in place (after the first connect). */
  ready: Promise<void>;
  /**
   * Since when (ms since epoch) this listener hears nothing: its connection dropped or never came
   * up, and notifications sent meanwhile are lost. Null while LISTEN is in place.
   */
  downSince(): number | null;
}

/**
 * LISTENs on channels over a dedicated connection, reconnecting with backoff (and listening
 * again) when the connection drops, so every control-plane replica hears every change.
 */
export function createPgListener(
  url: string,
  channels: readonly string[],
  onMessage: (channel: string, payload: string) => void,
  opts: { onError?: (err: Error) => void /** LISTEN is back after `downMs` without it. */; onReconnect?: (downMs: number) => void } = {},
): PgListener {
  let client: pg.Client | undefined;
  let closed = false;
  let downSince: number | null = Date.now();
  let attempt = 0;
  let timer: NodeJS.Timeout | undefined;
  let resolveReady!: () => void;
  const ready = new Promise<void>((r) => (resolveReady = r));

  const connect = async () => {
    if (closed) return;
    const c = new pg.Client({ ...connectionParts(url) });
    client = c;
    c.on('notification', (n) => onMessage(n.channel, n.payload ?? ''));
    c.on('error', (err) => {
      opts.onError?.(err);
      scheduleReconnect(c);
    });
    c.on('end', () => scheduleReconnect(c));
    try {
      await c.connect();
      for (const ch of channels) await c.query(`LISTEN "${ch.replace(/"/g, '""')}"`);
      const downMs = Date.now() - (downSince ?? Date.now());
      downSince = null;
      if (attempt > 0) opts.onReconnect?.(downMs);
      attempt = 0;
      resolveReady();
    } catch (err) {
      opts.onError?.(err as Error);
      scheduleReconnect(c);
    }
  };

  const scheduleReconnect = (c: pg.Client) => {
    if (closed || client !== c || timer) return;
    client = undefined;
    downSince ??= Date.now();
    c.removeAllListeners();
    c.on('error', () => {});
    void c.end().catch(() => {});
    const delay = Math.min(10_000, 200 * 2 ** attempt++) * (0.5 + Math.random() / 2);
    timer = setTimeout(() => {
      timer = undefined;
      void connect();
    }, delay);
  };

  void connect();
  return {
    ready,
    downSince: () => downSince,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      const c = client;
      client = undefined;
      await c?.end().catch(() => {});
    },
  };
}
