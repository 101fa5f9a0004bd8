import { CHANNEL_ACME, CHANNEL_REVISION, CHANNEL_STATS, CHANNEL_TAIL_LINES, CHANNEL_TAIL_WATCH, type PgListener, Prisma, type PrismaClient, createPgListener, notify } from '@fulcrum/db';
import { type TConfigSnapshot, type TControlToDataplane, type TDataplaneToControl, type TStatsFrame, WS_CLOSE, ZDataplaneToControl } from '@fulcrum/protocol';
import type { WebSocket } from 'ws';
import { currentAcmeChallengeSet } from '../services/acme/acme-challenges';
import { recordApplyResult } from '../services/dataplanes/apply-results';
import { recordEvent } from '../services/events/events';
import { getCurrentSnapshot } from '../services/revisions/revisions';
import { withSecrets } from '../secrets/snapshot-secrets';
import { actorFromApiToken } from '../services/tokens/api-tokens';
import { bindDataplaneToken } from '../services/tokens/dataplane-binding';
import { type StatsClock, systemClock } from '../stats/complete-seconds';
import { StatsFeed } from '../stats/stats-feed';
import { StatsStore } from '../stats/stats-store';
import { TailRelay } from './live-tail-relay';
import { TailLineFeed } from './tail-line-feed';
import { TailWatchLeases } from './tail-watch-leases';
import { type ReportLimits, ReportGuard, newReportLimits } from './report-guard';

const HELLO_TIMEOUT_MS = 10_000;
/** A data plane linked to another replica counts as serving while its frames are this recent. */
const TAIL_PEER_RECENT_MS = 10_000;
/** A data plane gone quiet is named as not reachable for this long, then forgotten by the tail's note. */
const TAIL_UNREACHABLE_KEPT_MS = 15 * 60_000;
/** The link's `tail` message names at most this many pools (ZTailMessage). */
const TAIL_MAX_POOLS = 1000;
/** While this replica hears no notifications, it reads the current revision, ACME challenges and other replicas' stats frames this often itself. */
const NOTIFICATIONS_DOWN_POLL_MS = 2_000;
/** Those reads take frames from the previous read's time less this margin (late commits, clocks apart; frames seen are skipped)... */
const DEAF_FRAME_MARGIN_SECONDS = 5;
/** ...and never more than this far back (the reconnect's catch-up reads a minute). */
const DEAF_FRAME_MAX_SECONDS = 60;

/** Data planes (by name) whose requests a live tail on this replica shows, and those it cannot reach. */
export interface TTailCoverage {
  /** Linked to this replica. */
  here: string[];
  /** Linked to another replica (frames of the last 10 s): their lines come through PostgreSQL. */
  elsewhere: string[];
  /** Known but disconnected, or silent for 10 s: nothing comes from them now. */
  unreachable: string[];
  /** Since when this replica hears no PostgreSQL notifications: lines from `elsewhere` are lost meanwhile (null: it hears them). */
  notificationsDownSince: number | null;
}
const LAST_SEEN_WRITE_MS = 5_000;

interface Connection {
  ws: WebSocket;
  id: string;
  name: string;
  appliedVersion: number | null;
  lastSeenWrite: number;
  alive: boolean;
  limits: ReportLimits;
}

export interface HubOptions {
  /** This control-plane replica, recorded on the data planes it holds. */
  controlPlaneId: string;
  heartbeatMs?: number;
  /** The clock the live stats stream counts its seconds by (tests pass their own). */
  clock?: StatsClock;
  /** Live-tail watch leases across replicas (default TAIL_LEASE_MS / TAIL_RENEW_MS). */
  tailLease?: { leaseMs: number; renewMs: number };
  /** How often the hub reads revisions and frames itself while it hears no notifications (default NOTIFICATIONS_DOWN_POLL_MS). */
  notificationsDownPollMs?: number;
}

/**
 * The control plane's side of the link: data planes connect with a `dataplane` token and say
 * hello; every committed revision (heard through LISTEN/NOTIFY, so from any replica) is pushed
 * as a full snapshot; acks and nacks are recorded per data plane; stats frames feed the
 * StatsStore, and through the StatsFeed every other replica's (and theirs feed this one's);
 * joins, leaves, refusals and the data planes' own events become Events.
 */
export class DataplaneHub {
  readonly stats = new StatsStore();
  /** Frames to and from the other control-plane replicas, through PostgreSQL. */
  readonly feed: StatsFeed;
  /** Keeps each data plane's stats and events to its own id and the pools and backends it runs. */
  readonly reports: ReportGuard;
  readonly clock: StatsClock;
  /** Dashboards watching pools' live tails here; the data planes are asked for these pools and those watched on other replicas. */
  readonly tail = new TailRelay((poolIds) => {
    this.tailLeases.setLocal(poolIds);
    this.pushTailPools();
  });
  /** Which pools dashboards on other replicas watch (leases shared by NOTIFY). */
  readonly tailLeases: TailWatchLeases;
  /** Tail lines to and from the other replicas (NOTIFY payloads). */
  readonly tailFeed: TailLineFeed;
  /** The pool list last sent to the data planes, so an unchanged one is not sent again. */
  private tailSent = '[]';
  private readonly conns = new Map<string, Connection>();
  private listener: PgListener | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly heartbeatMs: number;
  /** Reads what notifications would have said, while they are down. */
  private deafPoll: NodeJS.Timeout | undefined;
  /** The ACME challenge message last sent, so the poll sends only a change. */
  private acmeSent = '';
  /** When the deaf poll last read frames (null: not deaf). */
  private deafReadAt: number | null = null;
  /** ACME challenge sets go out one after another: an older read must not overtake a newer one. */
  private acmePushes: Promise<void> = Promise.resolve();
  /** Newest version pushed; NOTIFYs can overtake each other, an older read must not go out after it. */
  private newestPushed = -1;
  private readonly ackListeners = new Set<(dataplaneId: string, version: number) => void>();
  /** Data planes this replica has heard from: when their last frame came, and whether the link is up (for "no data since … (why)"). */
  /** Per data plane, the end of its work queued so far (see inOrder). */
  private readonly rowWork = new Map<string, Promise<void>>();
  private readonly seen = new Map<string, { id: string; name: string; connected: boolean; lastFrameAt: number | null; since: number }>();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly opts: HubOptions,
  ) {
    this.heartbeatMs = opts.heartbeatMs ?? 10_000;
    this.reports = new ReportGuard(prisma);
    this.clock = opts.clock ?? systemClock;
    this.feed = new StatsFeed(prisma, opts.controlPlaneId, (frame, receivedAt) => this.addPeerFrame(frame, receivedAt));
    this.tailLeases = new TailWatchLeases(
      opts.controlPlaneId,
      (payload) => notify(prisma, CHANNEL_TAIL_WATCH, payload),
      () => this.pushTailPools(),
      opts.tailLease,
    );
    this.tailFeed = new TailLineFeed(
      opts.controlPlaneId,
      (payload) => notify(prisma, CHANNEL_TAIL_LINES, payload),
      (lines, dropped) => this.tail.deliver(lines, dropped),
    );
  }

  start(databaseUrl: string): void {
    const onMessage = (channel: string, payload: string) => {
      if (channel === CHANNEL_STATS) return this.feed.heard(payload);
      if (channel === CHANNEL_TAIL_LINES) return this.tailFeed.heard(payload);
      if (channel === CHANNEL_TAIL_WATCH) return this.tailLeases.heard(payload);
      if (channel === CHANNEL_ACME) return void this.pushAcmeChallenges();
      void this.pushCurrent();
    };
    // Once LISTEN is in place, first or again: the newest snapshot and challenges, and the frames,
    // whose notifications came while it was not (a revision saved between this replica starting
    // to serve and its LISTEN coming up would otherwise reach no data plane linked here).
    const caughtUp = (frameSeconds?: number) => {
      void this.pushCurrent().catch(() => {});
      void this.pushAcmeChallenges();
      void this.feed.catchUp(frameSeconds).catch(() => {});
      this.tailLeases.resync();
    };
    this.listener = createPgListener(databaseUrl, [CHANNEL_REVISION, CHANNEL_STATS, CHANNEL_ACME, CHANNEL_TAIL_WATCH, CHANNEL_TAIL_LINES], onMessage, { onReconnect: () => caughtUp(60) });
    void this.listener.ready.then(() => caughtUp()).catch(() => {});
    this.tailLeases.start();
    this.feed.startRollups();
    // A revision committed on any replica (this one too) is announced by NOTIFY alone, and so are
    // the other replicas' stats frames: while LISTEN is down, they are read here instead, so data
    // planes still get new revisions and the numbers still cover every data plane (late by up to
    // the poll's interval). Tail lines travel in notifications only; the tail's note says so.
    this.deafPoll = setInterval(() => {
      const downSince = this.listener?.downSince() ?? null;
      if (downSince === null) return void (this.deafReadAt = null);
      void this.pushCurrent({ onlyNewer: true }).catch(() => {});
      void this.pushAcmeChallenges({ onlyChanged: true });
      const now = Date.now();
      const from = this.deafReadAt ?? downSince;
      this.deafReadAt = now;
      void this.feed.catchUp(Math.min(DEAF_FRAME_MAX_SECONDS, Math.ceil((now - from) / 1000) + DEAF_FRAME_MARGIN_SECONDS)).catch(() => {});
    }, this.opts.notificationsDownPollMs ?? NOTIFICATIONS_DOWN_POLL_MS);
    this.deafPoll.unref();
    this.heartbeat = setInterval(() => {
      for (const c of this.conns.values()) {
        if (!c.alive) {
          c.ws.terminate();
          continue;
        }
        c.alive = false;
        c.ws.ping();
      }
    }, this.heartbeatMs);
    this.heartbeat.unref();
  }

  async stop(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    clearInterval(this.deafPoll);
    this.feed.stopRollups();
    await this.tailLeases.stop();
    await this.listener?.close();
    const linked = [...this.conns.values()];
    this.conns.clear();
    for (const c of linked) c.ws.close(WS_CLOSE.shuttingDown, 'control plane shutting down');
    await Promise.all(linked.map((c) => this.markGone(c)));
  }

  /** Checks the bearer token of an upgrade request: only `dataplane` tokens may connect. */
  async authenticate(authorization: string | undefined): Promise<{ ok: true; tokenId: string; tokenName: string } | { ok: false; code: number; reason: string }> {
    const token = authorization?.toLowerCase().startsWith('bearer ') ? authorization.slice(7).trim() : undefined;
    if (!token) return { ok: false, code: WS_CLOSE.unauthorized, reason: 'send Authorization: Bearer <dataplane token>' };
    const actor = await actorFromApiToken(this.prisma, token);
    if (!actor) return { ok: false, code: WS_CLOSE.unauthorized, reason: 'unknown, revoked or expired token' };
    if (actor.role !== 'dataplane') return { ok: false, code: WS_CLOSE.forbidden, reason: `token role ${actor.role} may not connect a data plane` };
    return { ok: true, tokenId: actor.id, tokenName: actor.name };
  }

  /**
   * Takes a freshly upgraded socket: checks its token, then accepts it or closes it with the
   * close code and reason. A data plane says hello as soon as the socket opens, which can be
   * before the check resolves, so its messages are held until the hub listens.
   */
  admit(ws: WebSocket, authorization: string | undefined): void {
    ws.pause();
    this.authenticate(authorization).then(
      (auth) => {
        if (auth.ok) this.accept(ws, auth.tokenId);
        ws.resume();
        if (!auth.ok) ws.close(auth.code, auth.reason);
      },
      () => {
        ws.resume();
        ws.close(1011, 'authentication failed');
      },
    );
  }

  /**
   * Takes over a WebSocket authenticated with the token `tokenId`. Its hello is held until the
   * token is bound to the id it claims (see bindDataplaneToken): a token cannot speak for, or
   * knock off the link, a data plane that is not its own. Messages wait behind the hello.
   */
  accept(ws: WebSocket, tokenId: string): void {
    let conn: Connection | undefined;
    let helloDone: Promise<boolean> | undefined;
    const helloTimer = setTimeout(() => ws.close(WS_CLOSE.badMessage, 'no hello'), HELLO_TIMEOUT_MS);
    ws.on('pong', () => conn && (conn.alive = true));
    ws.on('message', (data) => {
      let msg: TDataplaneToControl;
      try {
        const parsed = ZDataplaneToControl.safeParse(JSON.parse(data.toString()));
        if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
        msg = parsed.data;
      } catch (err) {
        ws.close(WS_CLOSE.badMessage, `bad message: ${(err as Error).message}`.slice(0, 120));
        return;
      }
      if (msg.type === 'hello') {
        if (helloDone) return void ws.close(WS_CLOSE.badMessage, 'one hello per connection');
        clearTimeout(helloTimer);
        const hello = msg;
        helloDone = bindDataplaneToken(this.prisma, tokenId, hello.dataplaneId).then(
          (bound) => {
            if (!bound.ok) {
              ws.close(WS_CLOSE.forbidden, bound.reason.slice(0, 120));
              return false;
            }
            if (ws.readyState !== ws.OPEN) return false;
            const previous = this.conns.get(hello.dataplaneId);
            if (previous && previous.ws !== ws) previous.ws.close(WS_CLOSE.replaced, 'replaced by a newer connection');
            const c: Connection = {
              ws,
              id: hello.dataplaneId,
              name: hello.name,
              appliedVersion: hello.configVersion,
              lastSeenWrite: Date.now(),
              alive: true,
              limits: newReportLimits(),
            };
            conn = c;
            this.conns.set(c.id, c);
            this.seen.set(c.id, { id: c.id, name: c.name, connected: true, lastFrameAt: this.seen.get(c.id)?.lastFrameAt ?? null, since: Date.now() });
            void this.inOrder(c.id, () => this.onHello(c, hello));
            return true;
          },
          () => {
            ws.close(1011, 'could not check the token binding');
            return false;
          },
        );
        return;
      }
      if (!helloDone) return void ws.close(WS_CLOSE.badMessage, 'hello first');
      void helloDone.then((ok) => {
        const c = conn;
        if (ok && c) void this.inOrder(c.id, () => this.onMessage(c, msg));
      });
    });
    ws.on('close', () => {
      clearTimeout(helloTimer);
      if (conn && this.conns.get(conn.id) === conn) {
        this.conns.delete(conn.id);
        void this.markGone(conn);
      }
    });
    ws.on('error', () => {});
  }

  private send(c: Connection, msg: TControlToDataplane): void {
    if (c.ws.readyState === c.ws.OPEN) c.ws.send(JSON.stringify(msg));
  }

  private async onHello(c: Connection, hello: Extract<TDataplaneToControl, { type: 'hello' }>): Promise<void> {
    this.send(c, { type: 'welcome', serverTime: Date.now(), heartbeatMs: this.heartbeatMs });
    const tailed = this.tailPoolIds();
    if (tailed.length) this.send(c, { type: 'tail', poolIds: tailed });
    const acmeSet = await currentAcmeChallengeSet(this.prisma).catch(() => undefined);
    if (acmeSet) this.send(c, { type: 'acme_challenges', ...acmeSet });
    await this.prisma.dataplane.upsert({
      where: { id: c.id },
      create: { id: c.id, name: c.name, softwareVersion: hello.softwareVersion, connected: true, controlPlaneId: this.opts.controlPlaneId, appliedConfigVersion: hello.configVersion },
      update: { name: c.name, softwareVersion: hello.softwareVersion, connected: true, controlPlaneId: this.opts.controlPlaneId, lastSeenAt: new Date(), appliedConfigVersion: hello.configVersion },
    });
    await recordEvent(this.prisma, { kind: 'dataplane_join', dataplaneId: c.id, message: `data plane ${c.name} connected (running config ${hello.configVersion ?? 'none'})` });
    const current = await getCurrentSnapshot(this.prisma);
    if (!current || current.hash === hello.configHash) return;
    const config = await this.forLink(current);
    // A newer version was read since (this connection was already listed, so it goes out to it too): not taken back.
    if (config && current.version >= this.newestPushed) this.send(c, { type: 'snapshot', version: config.version, hash: config.hash, config });
  }

  /** The snapshot with the secrets it names, or null (and an event saying why) when one cannot be opened. */
  private async forLink(snapshot: TConfigSnapshot): Promise<TConfigSnapshot | null> {
    try {
      return await withSecrets(this.prisma, snapshot);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      await recordEvent(this.prisma, { kind: 'config_revision', severity: 'error', message: `revision ${snapshot.version} was not sent to data planes: ${reason}` }).catch(() => {});
      return null;
    }
  }

  private async onMessage(c: Connection, msg: TDataplaneToControl): Promise<void> {
    switch (msg.type) {
      case 'ack': {
        c.appliedVersion = msg.version;
        for (const l of this.ackListeners) l(c.id, msg.version);
        // A partial ack: the version runs, except in the pools named (kept at their previous config, or down).
        const refused = msg.refused?.length ? msg.refused : null;
        const lastError = refused
          ? `config ${msg.version} applied except ${refused.map((r) => `${refusalSubject(r.pool)} (${r.keptPrevious ? 'keeps its previous config' : 'down'}): ${r.error}`).join('; ')}`.slice(0, 8000)
          : null;
        await this.prisma.dataplane.update({
          where: { id: c.id },
          data: { appliedConfigVersion: msg.version, lastError, refusedConfigVersion: refused ? msg.version : null, refusedPools: refused ?? Prisma.DbNull, lastSeenAt: new Date() },
        });
        await recordApplyResult(this.prisma, {
          dataplaneId: c.id,
          dataplaneName: c.name,
          version: msg.version,
          state: refused ? 'partial' : 'applied',
          ...(refused ? { error: lastError ?? undefined, refusedPools: refused.map((x) => ({ poolId: x.poolId, error: x.error })) } : {}),
        });
        return;
      }
      case 'nack':
        await this.prisma.dataplane.update({ where: { id: c.id }, data: { lastError: msg.error, refusedConfigVersion: msg.version, refusedPools: Prisma.DbNull, lastSeenAt: new Date() } });
        if (msg.version !== null) {
          // Per revision and per pool: the refusal stays visible whatever is applied later.
          await recordApplyResult(this.prisma, { dataplaneId: c.id, dataplaneName: c.name, version: msg.version, state: 'refused', error: `${msg.error} (keeps ${msg.keptVersion ?? 'none'})` });
        } else {
          await recordEvent(this.prisma, {
            kind: 'snapshot_refused',
            severity: 'error',
            dataplaneId: c.id,
            message: `data plane ${c.name} refused a config it could not read and keeps ${msg.keptVersion ?? 'none'}: ${msg.error}`,
          });
        }
        return;
      case 'stats': {
        const frame = await this.reports.frame(msg.frame, c.id, c.appliedVersion, c.limits);
        if (frame) {
          this.stats.add(frame);
          this.feed.publish(frame);
          const seen = this.seen.get(c.id);
          if (seen) seen.lastFrameAt = Date.now();
        }
        if (Date.now() - c.lastSeenWrite > LAST_SEEN_WRITE_MS) {
          c.lastSeenWrite = Date.now();
          await this.prisma.dataplane.update({ where: { id: c.id }, data: { lastSeenAt: new Date() } });
        }
        return;
      }
      case 'event': {
        const e = await this.reports.event(msg.event, c.appliedVersion, c.limits);
        if (!e) return;
        const poolId = e.poolId ? ((await this.prisma.pool.findUnique({ where: { id: e.poolId }, select: { id: true } }))?.id ?? null) : null;
        await recordEvent(this.prisma, {
          kind: e.kind,
          severity: e.severity,
          poolId,
          backendId: e.backendId ?? null,
          dataplaneId: c.id,
          message: `${c.name}: ${e.message}`,
          data: (e.data ?? undefined) as never,
        });
        return;
      }
      case 'tail_lines': {
        const { lines, dropped } = await this.reports.tailLines(msg, c.appliedVersion, c.limits, (id) => this.tail.isWatched(id) || this.tailLeases.isWatchedElsewhere(id));
        this.tail.deliver(lines, dropped);
        const forOthers = lines.filter((l) => this.tailLeases.isWatchedElsewhere(l.poolId));
        if (forOthers.length || (dropped && this.tailLeases.poolIds().length)) this.tailFeed.publish(forOthers, dropped);
        return;
      }
      case 'acme_challenges_applied':
        await this.prisma.dataplane.update({ where: { id: c.id }, data: { acmeChallengesSeq: msg.seq } });
        return;
      case 'ping':
        return this.send(c, { type: 'pong', ts: msg.ts });
      default:
        return;
    }
  }

  /** A frame of a data plane linked to another replica (or to this one before it restarted). */
  private addPeerFrame(frame: TStatsFrame, receivedAt: Date): void {
    this.stats.add(frame);
    // When the replica holding the link got it (a frame read on start or after a reconnect is old news).
    const at = Math.min(Date.now(), receivedAt.getTime());
    const seen = this.seen.get(frame.dataplaneId);
    if (seen) {
      seen.lastFrameAt = Math.max(seen.lastFrameAt ?? 0, at);
      return;
    }
    // Linked elsewhere: shown by id until its name is read; staleness follows its frames.
    const entry = { id: frame.dataplaneId, name: frame.dataplaneId, connected: true, lastFrameAt: at, since: at };
    this.seen.set(frame.dataplaneId, entry);
    void this.prisma.dataplane
      .findUnique({ where: { id: frame.dataplaneId }, select: { name: true } })
      .then((d) => d && (entry.name = d.name))
      .catch(() => {});
  }

  /**
   * Runs one data plane's work after what came before it, whichever of its connections it came
   * through: each step may write its row, and an ack, a hello or a leave written out of order
   * would leave an older version recorded, or a data plane that left shown as connected.
   */
  private inOrder(id: string, step: () => Promise<void>): Promise<void> {
    const next = (this.rowWork.get(id) ?? Promise.resolve()).then(step).catch(() => {});
    this.rowWork.set(id, next);
    void next.then(() => {
      if (this.rowWork.get(id) === next) this.rowWork.delete(id);
    });
    return next;
  }

  /** Shown as gone at once; its row and event are written after the work its link had started. */
  private markGone(c: Connection): Promise<void> {
    const seen = this.seen.get(c.id);
    if (seen) Object.assign(seen, { connected: false, since: Date.now() });
    return this.inOrder(c.id, async () => {
      // A newer link of the same data plane came up meanwhile: its row stays connected.
      if (!this.conns.has(c.id)) await this.prisma.dataplane.update({ where: { id: c.id }, data: { connected: false, lastSeenAt: new Date() } }).catch(() => {});
      await recordEvent(this.prisma, { kind: 'dataplane_leave', severity: 'warning', dataplaneId: c.id, message: `data plane ${c.name} disconnected` }).catch(() => {});
    });
  }

  /** Sends the newest snapshot to every data plane that does not run it yet. */
  async pushCurrent({ onlyNewer = false } = {}): Promise<void> {
    const current = await getCurrentSnapshot(this.prisma);
    // onlyNewer (the deaf poll): a version already sent is not sent again, e.g. to a data plane that refused it.
    if (!current || current.version < this.newestPushed || (onlyNewer && current.version === this.newestPushed)) return;
    this.newestPushed = current.version;
    const config = await this.forLink(current);
    // A newer version read meanwhile goes out instead: sent after it, this one would take it back.
    if (!config || current.version < this.newestPushed) return;
    const msg: TControlToDataplane = { type: 'snapshot', version: config.version, hash: config.hash, config };
    const payload = JSON.stringify(msg);
    for (const c of this.conns.values()) {
      if (c.appliedVersion !== current.version && c.ws.readyState === c.ws.OPEN) c.ws.send(payload);
    }
  }

  /** Sends the pending ACME challenges, whole, to every data plane linked here (`onlyChanged`: unless they are what was sent last). */
  pushAcmeChallenges({ onlyChanged = false } = {}): Promise<void> {
    this.acmePushes = this.acmePushes
      .then(async () => {
        const payload = JSON.stringify({ type: 'acme_challenges', ...(await currentAcmeChallengeSet(this.prisma)) } satisfies TControlToDataplane);
        if (onlyChanged && payload === this.acmeSent) return;
        this.acmeSent = payload;
        for (const c of this.conns.values()) if (c.ws.readyState === c.ws.OPEN) c.ws.send(payload);
      })
      .catch(() => {});
    return this.acmePushes;
  }

  /** Called on every ack as it arrives (before it is stored), e.g. to time propagation. */
  onAck(listener: (dataplaneId: string, version: number) => void): () => void {
    this.ackListeners.add(listener);
    return () => this.ackListeners.delete(listener);
  }

  /** The data planes this replica has heard from, for the dashboard's freshness notes; `here`: linked to this replica. */
  dataplaneLinks(): { id: string; name: string; connected: boolean; here: boolean; lastFrameAt: number | null; since: number; silentMs: number | null }[] {
    const now = Date.now();
    // silentMs on this replica's clock, so the browser need not compare clocks.
    return [...this.seen.values()].map((d) => ({ ...d, here: this.conns.has(d.id), silentMs: d.lastFrameAt === null ? null : now - d.lastFrameAt }));
  }

  /**
   * Since when (ms since epoch) this replica hears no PostgreSQL notifications (its LISTEN
   * connection dropped or never came up): meanwhile tail lines of data planes linked to other
   * replicas do not reach it, and revisions and frames come only by the deaf poll, up to 2 s late.
   * Null while it hears them, or without a database link.
   */
  notificationsDownSince(): number | null {
    return this.listener?.downSince() ?? null;
  }

  /** The pools the data planes linked here send lines for: watched here first, then on other replicas; at most TAIL_MAX_POOLS. */
  private tailPoolIds(): string[] {
    const here = this.tail.poolIds();
    const mine = new Set(here);
    return [...here, ...this.tailLeases.poolIds().filter((p) => !mine.has(p))].slice(0, TAIL_MAX_POOLS);
  }

  /** Tells the data planes linked here which pools to send lines for, when that changed. */
  private pushTailPools(): void {
    const poolIds = this.tailPoolIds();
    const key = JSON.stringify(poolIds);
    if (key === this.tailSent) return;
    this.tailSent = key;
    for (const c of this.conns.values()) this.send(c, { type: 'tail', poolIds });
  }

  connectedIds(): string[] {
    return [...this.conns.keys()];
  }

  /**
   * Whose requests a live tail on this replica shows: the data planes linked here, and those
   * linked to other replicas (known by their frames of the last TAIL_PEER_RECENT_MS), whose lines
   * come through PostgreSQL. Data planes disconnected or gone quiet (in the last
   * TAIL_UNREACHABLE_KEPT_MS) are named apart, so a quiet tail is never mistaken for no traffic.
   */
  tailCoverage(): TTailCoverage {
    const here = [...this.conns.values()].map((c) => c.name);
    const elsewhere: string[] = [];
    const unreachable: string[] = [];
    const now = Date.now();
    for (const d of this.dataplaneLinks()) {
      if (this.conns.has(d.id)) continue;
      // One that left this replica counts as elsewhere once frames come from there (after it left).
      const framesElsewhere = d.connected || (d.lastFrameAt ?? 0) > d.since;
      if (framesElsewhere && d.silentMs !== null && d.silentMs < TAIL_PEER_RECENT_MS) elsewhere.push(d.name);
      else if (now - Math.max(d.since, d.lastFrameAt ?? 0) < TAIL_UNREACHABLE_KEPT_MS) unreachable.push(d.name);
    }
    return { here: here.sort(), elsewhere: elsewhere.sort(), unreachable: unreachable.sort(), notificationsDownSince: this.notificationsDownSince() };
  }
}

// Next's bundle and the custom server load separate module copies; one hub per process.
const store = globalThis as unknown as { __fulcrumHub?: DataplaneHub };

export function setHub(hub: DataplaneHub | undefined): void {
  store.__fulcrumHub = hub;
}

export function getHub(): DataplaneHub | undefined {
  return store.__fulcrumHub;
}

/**
 * What a refused entry is about: a pool, or (entries a data plane names `listener <name>`) a
 * listener that sends to no pool, such as an http→https redirect, which is not called a pool.
 */
function refusalSubject(name: string): string {
  return name.startsWith('listener ') ? name : `pool ${name}`;
}
