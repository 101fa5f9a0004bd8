import type { Socket } from 'node:net';
import { Dataplane } from '../../dataplane';
import { freePort, snapshotFor } from '../../test-support';
import { type RawBackend, rawClient, requestLine, startRawBackend } from '../upstream/raw-test-peers';
import { readProxyAnswer } from './proxy-answer';

/** One answer a hostile backend gives, and how. */
export interface ResponseExec {
  /** Names the request, so a late answer or request from another exec shows. */
  id: number;
  /** The backend's answer, each piece its own write. */
  pieces: Buffer[];
  /** The request is a HEAD. */
  head: boolean;
  /** The backend closes its side after the answer. */
  close: boolean;
  /** Bytes follow the final response (as the reference reads it): the proxy must close that connection. */
  leftover: boolean;
  /** The request asks to switch to WebSocket, and the client's first tunnel bytes follow its head at once. */
  upgrade: boolean;
  /** Bytes after the 101's head, as the reference reads them (-1: it reads no 101): the client waits for them. */
  tunnel: number;
}

export interface ResponseRun {
  /** What the client got for the request, up to where it sent the next one. */
  first: string;
  firstClosed: boolean;
  /** What the client got for the next request (on the same connection when it could be, else a new one). */
  next: string;
  /** The client's bytes after its upgrade request reached the backend, on the connection that answered it. */
  early: boolean;
  problems: string[];
}

const request = (method: string, target: string) => `${method} ${target} HTTP/1.1\r\nHost: x\r\n\r\n`;
const upgradeRequest = (id: number) =>
  `GET /fuzz/${id} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;
/** What the client sends right behind its upgrade request: a request, if anything read it as one. */
const earlyBytes = (id: number) => request('GET', `/early/${id}`);
/** How long a run waits for an answer or a close: it bounds a hang, nothing waits it out otherwise. */
const DEADLINE_MS = 8_000;

/**
 * A data plane in front of one raw backend that answers each run's request with the run's bytes,
 * then a request that follows it with an answer of its own (`GET /next/<id>`): what that request
 * gets shows whether anything of the first answer outlived it, on the client connection or on a
 * reused upstream one. One run at a time.
 */
export class ResponseHarness {
  readonly dp = new Dataplane();
  private backend: RawBackend | undefined;
  private exec: ResponseExec | undefined;
  /** The backend connection that answered the run's request, and whether all of it was written. */
  private answeredOn: Socket | undefined;
  private written = false;
  private early = false;
  private strays: string[] = [];
  port = 0;

  async start(): Promise<this> {
    this.backend = await startRawBackend((socket, head) => this.answer(socket, head));
    this.port = await freePort();
    // No retries (a request sent twice would be answered twice); short upstream limits, so a
    // proxy waiting for bytes the backend will never send costs a run a second, not a minute.
    const snapshot = snapshotFor(this.port, [{ name: 'raw', port: this.backend.port }], {
      retries: { attempts: 0 },
      timeouts: { connectMs: 2_000, firstByteMs: 1_000, idleMs: 1_000 },
    });
    const applied = await this.dp.applySnapshot(snapshot);
    if (!applied.ok) throw new Error(applied.error);
    return this;
  }

  async run(exec: ResponseExec): Promise<ResponseRun> {
    this.exec = exec;
    this.answeredOn = undefined;
    this.written = false;
    this.early = false;
    const problems: string[] = [];
    const deadline = Date.now() + DEADLINE_MS;
    const client = await rawClient(this.port);
    client.send(exec.upgrade ? upgradeRequest(exec.id) + earlyBytes(exec.id) : request(exec.head ? 'HEAD' : 'GET', `/fuzz/${exec.id}`));
    const settled = (text: string, from: number, head: boolean) => readProxyAnswer(text, from, { head, closed: false }).kind !== 'partial';
    await client.until((t) => (exec.upgrade ? this.upgradeSettled(t, exec) : settled(t, 0, exec.head)), DEADLINE_MS).catch(() => {});
    // Every byte of the answer is written (or the proxy closed the connection under it) …
    await until(() => this.written || this.answeredOn?.destroyed === true, deadline);
    // … and a connection that carried more than one response is closed before anything else is sent.
    if (exec.leftover && !exec.close && !(await until(() => this.answeredOn?.destroyed === true, deadline))) {
      problems.push('the proxy kept an upstream connection that sent bytes after its response');
    }
    const first = client.text();
    const firstClosed = client.closed;
    const read = readProxyAnswer(first, 0, { head: exec.head, closed: firstClosed, upgrade: exec.upgrade });
    const reuse = !firstClosed && read.kind === 'answer' && read.answer.keepAlive && read.answer.end === first.length;
    if (!reuse) client.socket.destroy();
    // A tunnel's upstream connection goes with the client.
    if (read.kind === 'answer' && read.answer.status === 101 && !(await until(() => this.answeredOn?.destroyed !== false, deadline))) {
      problems.push("the tunnel's upstream connection outlived the client");
    }
    const nextClient = reuse ? client : await rawClient(this.port);
    const from = reuse ? first.length : 0;
    nextClient.send(request('GET', `/next/${exec.id}`));
    await nextClient.until((t) => settled(t, from, false), DEADLINE_MS).catch(() => {});
    const next = nextClient.text().slice(from);
    nextClient.socket.destroy();
    // The client is gone: the proxy finishes with the backend (bounded, for a hang).
    const pool = this.dp.pool('test')!;
    if (!(await until(() => pool.inflight === 0, Date.now() + DEADLINE_MS))) problems.push('requests still in flight after the client left');
    problems.push(...this.strays.splice(0));
    const conns = this.backend!.connections;
    for (let i = conns.length - 1; i >= 0; i--) if (conns[i]!.socket.destroyed) conns.splice(i, 1);
    return { first, firstClosed, next, early: this.early, problems };
  }

  /**
   * What the client waits for after an upgrade request: a 101's head, the tunnel bytes the
   * backend sent after it, and the client's own early bytes at the backend; or, after any other
   * answer, the close (`until` also ends at the close).
   */
  private upgradeSettled(text: string, exec: ResponseExec): boolean {
    const read = readProxyAnswer(text, 0, { head: false, closed: false, upgrade: true });
    if (read.kind === 'malformed') return true;
    return read.kind === 'answer' && read.answer.status === 101 && text.length >= read.answer.end + exec.tunnel && this.early;
  }

  async stop(): Promise<void> {
    await this.dp.stop();
    await this.backend?.close();
  }

  private answer(socket: Socket, head: string): void {
    const line = requestLine(head);
    const exec = this.exec;
    const m = /^(GET|HEAD) \/(fuzz|next|early)\/(\d+) HTTP\/1\.1$/.exec(line);
    if (!exec || !m || Number(m[3]) !== exec.id) {
      this.strays.push(`the backend got ${JSON.stringify(line)} during run ${exec?.id}`);
      return;
    }
    if (m[2] === 'early') {
      // Tunnel bytes are the judge's to weigh (a 101 went out, or they were smuggled); anywhere else they are a stray request.
      if (socket === this.answeredOn && !this.early) this.early = true;
      else this.strays.push(`the backend got the client's early bytes ${JSON.stringify(line)} as a request of their own`);
      return;
    }
    if (m[2] === 'next') {
      const body = `next ${exec.id}`;
      socket.write(`HTTP/1.1 200 OK\r\nX-Next: ${exec.id}\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      return;
    }
    if (this.answeredOn) {
      this.strays.push(`the backend got run ${exec.id}'s request twice`);
      return;
    }
    this.answeredOn = socket;
    void this.writeAnswer(socket, exec);
  }

  private async writeAnswer(socket: Socket, exec: ResponseExec): Promise<void> {
    for (const piece of exec.pieces) {
      if (socket.destroyed) break;
      socket.write(piece);
      await new Promise((r) => setImmediate(r));
    }
    if (exec.close && !socket.destroyed) socket.end();
    this.written = true;
  }
}

/** Waits (polling) until `check` holds or the deadline passes; whether it held. */
async function until(check: () => boolean, deadline: number): Promise<boolean> {
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 1));
  }
  return true;
}
