/** A live number or chart greys out after this long without a new second for it. */
export const STALE_AFTER_MS = 3000;

export interface DataplaneLink {
  id: string;
  name: string;
  connected: boolean;
  /** Linked to the control-plane replica this browser talks to (false: another replica, heard through PostgreSQL). */
  here?: boolean;
  /** How long since its last stats frame, on the control plane's clock (null: none yet). */
  silentMs?: number | null;
}

export interface FreshnessInput {
  /** Browser clock now. */
  now: number;
  /** Browser clock when the last push of any kind arrived (null: none yet). */
  lastPushAt: number | null;
  /** Browser clock when the last second with this pool's data arrived. */
  lastDataAt: number | null;
  /** The control plane's start of that second (ms since epoch). */
  lastDataTs: number | null;
  /** Data planes whose frames were in it. */
  reporters: readonly string[];
  /** The data planes' links as the control plane last told. */
  links: readonly DataplaneLink[];
  /** Since when that control plane hears no PostgreSQL notifications, i.e. nothing of the other replicas (null: it hears them). */
  notificationsDownSince?: number | null;
  /** How the note shows a time (clockTime unless said otherwise). */
  clock?: (ts: number) => string;
}

export interface Freshness {
  stale: boolean;
  /** "no data since 14:22:05 (data plane edge-1 disconnected)", when stale. */
  note: string | null;
}

/** HH:MM:SS on the browser's clock face, 24-hour. */
export function clockTime(ts: number): string {
  const d = new Date(ts);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

/** HH:MM:SS UTC: the clock face a server-rendered page shows until it runs in the browser (see useHydrated). */
export function utcClockTime(ts: number): string {
  return `${new Date(ts).toISOString().slice(11, 19)} UTC`;
}

/**
 * Whether a pool's live numbers are current, and if not since when and why: no pushes at all
 * means the control plane is unreachable; pushes without the pool mean its data planes stopped
 * reporting (named when the control plane saw their link drop), or, for those linked to another
 * replica, that this control plane no longer hears the others.
 */
export function freshness(i: FreshnessInput): Freshness {
  if (i.lastDataAt !== null && i.now - i.lastDataAt <= STALE_AFTER_MS) return { stale: false, note: null };
  if (i.lastDataAt === null && i.lastPushAt === null) return { stale: false, note: null };
  let reason: string;
  if (i.lastPushAt === null || i.now - i.lastPushAt > STALE_AFTER_MS) reason = 'control plane unreachable';
  else {
    const mine = (l: DataplaneLink) => i.reporters.length === 0 || i.reporters.includes(l.id);
    const gone = i.links.filter((l) => !l.connected && mine(l));
    const silent = i.links.filter((l) => l.connected && mine(l) && (l.silentMs ?? 0) > STALE_AFTER_MS);
    // Linked to another replica while this one hears nothing through PostgreSQL: the silence is this replica's.
    const unheard = i.notificationsDownSince == null ? [] : silent.filter((l) => l.here === false);
    if (gone.length > 0) reason = `data plane ${gone.map((l) => l.name).join(', ')} disconnected`;
    else if (unheard.length > 0) reason = `data plane ${unheard.map((l) => l.name).join(', ')} not heard: this control plane's PostgreSQL notifications are down`;
    else if (silent.length > 0) reason = `data plane ${silent.map((l) => l.name).join(', ')} stopped reporting`;
    else if (!i.links.some((l) => l.connected)) reason = 'no data plane connected';
    else reason = 'its data planes send no stats for it';
  }
  // The second's end is when its numbers were last true.
  const since = i.lastDataTs === null ? 'no data yet' : `no data since ${(i.clock ?? clockTime)(i.lastDataTs + 1000)}`;
  return { stale: true, note: `${since} (${reason})` };
}
