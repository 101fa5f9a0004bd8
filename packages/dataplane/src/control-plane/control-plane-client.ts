import { type TControlToDataplane, type TDataplaneEvent, type TDataplaneToControl, WS_CLOSE, ZControlToDataplane } from '@fulcrum/protocol';
import WebSocket from 'ws';
import type { TConfigSnapshot, TStatsFrame } from '@fulcrum/protocol';
import type { LiveTail } from '../access-log/live-tail';
import type { AcmeChallengeAnswers } from '../acme/acme-challenge-answers';
import type { ApplyResult } from '../dataplane';
import type { LastGoodConfig } from '../state/last-good-config';
import { backoffDelay } from './backoff';
import { type LinkTls, describeLinkError } from './link-tls';

/** How often tail records go out: often enough to look live, batched enough to stay cheap. */
const TAIL_FLUSH_MS = 250;

/** What the link drives: one Dataplane, or a cluster's primary speaking for its workers. */
export interface LinkedDataplane {
  readonly id: string;
  readonly version: number | null;
  readonly hash: string | null;
  readonly snapshot: TConfigSnapshot | undefined;
  /** The live tail the control plane asks for (which pools) and drains (batches). */
  readonly access: { readonly tail: Pick<LiveTail, 'watch' | 'take'> };
  /** The ACME challenges its http listeners answer (a cluster hands the set to every worker). */
  readonly acme: { replace(raw: unknown): ReturnType<AcmeChallengeAnswers['replace']> | Promise<ReturnType<AcmeChallengeAnswers['replace']>> };
  applySnapshot(raw: unknown): Promise<ApplyResult>;
  collectFrame(): TStatsFrame;
  on(event: 'event', listener: (e: TDataplaneEvent) => void): unknown;
  off(event: 'event', listener: (e: TDataplaneEvent) => void): unknown;
}

export interface ControlPlaneClientOptions {
  url: string;
  token: string;
  name: string;
  softwareVersion: string;
  lastGood?: LastGoodConfig;
  statsIntervalMs?: number;
  /** Reconnect backoff: base and cap, with full jitter. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** How often to ping the control plane; it counts as dead after three silent intervals. */
  heartbeatMs?: number;
  /** How soon pools a snapshot could not apply (a held port) are tried again. */
  refusedRetryMs?: number;
  log?: (line: string) => void;
  /** For a wss:// control plane: the CA to trust and the name to check (readLinkTls). */
  tls?: LinkTls;
}

/**
 * The only module on the data-plane side that touches the WebSocket. Says hello, applies
 * pushed snapshots through Dataplane.applySnapshot and acks or nacks them, streams a stats
 * frame every second and forwards events, pings to notice a dead peer, and reconnects with
 * jittered exponential backoff. Without a control plane the data plane keeps serving what it has.
 */
export class ControlPlaneClient {
  private ws: WebSocket | undefined;
  private attempt = 0;
  private stopped = false;
  private statsTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private tailTimer: NodeJS.Timeout | undefined;
  /** Snapshots received; a retry only runs while no newer one came. */
  private received = 0;
  private lastPong = Date.now();
  private readonly onEvent: (e: TDataplaneEvent) => void;
  connected = false;
  /** Why the link last closed (close code and reason), for logs and status. */
  lastClose: { code: number; reason: string } | undefined;
  /** The last link error, in the words the log gave it (a refused certificate says which flag fixes it). */
  lastError: string | undefined;

  constructor(
    private readonly dp: LinkedDataplane,
    private readonly opts: ControlPlaneClientOptions,
  ) {
    this.onEvent = (event) => this.send({ type: 'event', event });
  }

  start(): void {
    this.dp.on('event', this.onEvent);
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.dp.off('event', this.onEvent);
    clearInterval(this.statsTimer);
    clearInterval(this.pingTimer);
    clearInterval(this.tailTimer);
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.retryTimer);
    this.ws?.close(1000, 'data plane stopping');
  }

  private log(line: string): void {
    this.opts.log?.(line);
  }

  private send(msg: TDataplaneToControl): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  private connect(): void {
    if (this.stopped) return;
    const { ca, servername } = this.opts.tls ?? {};
    // Certificates are always verified: a private CA is trusted by name (ca), never by turning checks off.
    const ws = new WebSocket(this.opts.url, {
      headers: { authorization: `Bearer ${this.opts.token}` },
      handshakeTimeout: 10_000,
      ...(ca ? { ca } : {}),
      ...(servername ? { servername } : {}),
    });
    this.ws = ws;
    ws.on('open', () => {
      this.connected = true;
      this.attempt = 0;
      this.lastError = undefined;
      this.lastPong = Date.now();
      this.log(`connected to ${this.opts.url}`);
      this.send({ type: 'hello', dataplaneId: this.dp.id, name: this.opts.name, softwareVersion: this.opts.softwareVersion, configVersion: this.dp.version, configHash: this.dp.hash });
      this.statsTimer = setInterval(() => this.send({ type: 'stats', frame: this.dp.collectFrame() }), this.opts.statsIntervalMs ?? 1000);
      this.tailTimer = setInterval(() => this.sendTail(), TAIL_FLUSH_MS);
      const heartbeatMs = this.opts.heartbeatMs ?? 10_000;
      this.pingTimer = setInterval(() => {
        if (Date.now() - this.lastPong > 3 * heartbeatMs) {
          this.log(`no answer from the control plane for ${3 * heartbeatMs} ms; reconnecting`);
          return void ws.terminate();
        }
        this.send({ type: 'ping', ts: Date.now() });
      }, heartbeatMs);
    });
    ws.on('pong', () => (this.lastPong = Date.now()));
    ws.on('ping', () => (this.lastPong = Date.now()));
    ws.on('message', (data) => void this.onMessage(data.toString()));
    ws.on('close', (code, reason) => {
      this.connected = false;
      this.lastClose = { code, reason: reason.toString() };
      clearInterval(this.statsTimer);
      clearInterval(this.pingTimer);
      clearInterval(this.tailTimer);
      // Nobody is watching through a closed link; the control plane says again who is once back.
      this.dp.access.tail.watch([]);
      if (this.stopped) return;
      this.log(`link closed (${code}${reason.length ? `: ${reason.toString()}` : ''}); serving config ${this.dp.version ?? 'none'}`);
      if (code === WS_CLOSE.unauthorized || code === WS_CLOSE.forbidden) this.attempt = Math.max(this.attempt, 6);
      this.scheduleReconnect();
    });
    ws.on('error', (err) => {
      this.lastError = describeLinkError(err, this.opts.url);
      this.log(`link error: ${this.lastError}`);
    });
  }

  private scheduleReconnect(): void {
    const delay = backoffDelay(this.attempt++, this.opts.backoffBaseMs ?? 500, this.opts.backoffMaxMs ?? 30_000);
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  private async onMessage(text: string): Promise<void> {
    let msg: TControlToDataplane;
    try {
      msg = ZControlToDataplane.parse(JSON.parse(text));
    } catch {
      return this.log('ignored a message that is not part of the protocol');
    }
    if (msg.type === 'ping') return this.send({ type: 'pong', ts: msg.ts });
    if (msg.type === 'pong') {
      this.lastPong = Date.now();
      return;
    }
    if (msg.type === 'tail') return this.dp.access.tail.watch(msg.poolIds);
    if (msg.type === 'acme_challenges') {
      const held = await this.dp.acme.replace({ seq: msg.seq, challenges: msg.challenges });
      if (!held.ok) return this.log(`refused an ACME challenge set: ${held.error}`);
      return this.send({ type: 'acme_challenges_applied', seq: held.seq });
    }
    if (msg.type !== 'snapshot') return;
    this.received++;
    await this.apply(msg);
  }

  /**
   * Applies and answers: an ack (naming the pools that could not take the config, if any) or a
   * nack with the version kept. Only what runs becomes last-good, once it runs.
   */
  private async apply(msg: Extract<TControlToDataplane, { type: 'snapshot' }>): Promise<void> {
    clearTimeout(this.retryTimer);
    const seq = this.received;
    const result = await this.dp.applySnapshot(msg.config);
    if (!result.ok) return this.send({ type: 'nack', version: msg.version, keptVersion: result.keptVersion, error: result.error.slice(0, 8000) });
    if (this.dp.snapshot) this.saveLastGood(this.dp.snapshot);
    this.send({ type: 'ack', version: result.version, hash: msg.hash, ...(result.refused.length ? { refused: result.refused } : {}) });
    if (result.refused.length) {
      this.log(`config ${result.version} applied except ${result.refused.map((r) => `${r.pool} (${r.error})`).join(', ')}`);
      // The port may come free: try the refused pools again until a newer snapshot arrives.
      this.retryTimer = setTimeout(() => seq === this.received && void this.apply(msg), this.opts.refusedRetryMs ?? 10_000);
      this.retryTimer.unref();
    }
  }

  /** The live tail's records since the last batch (at most the per-second bound), with how many were dropped. */
  private sendTail(): void {
    const batch = this.dp.access.tail.take();
    if (batch) this.send({ type: 'tail_lines', lines: batch.lines, dropped: batch.dropped });
  }

  private saveLastGood(snapshot: unknown): void {
    try {
      this.opts.lastGood?.save(snapshot);
    } catch (err) {
      this.log(`could not save the last good config: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
