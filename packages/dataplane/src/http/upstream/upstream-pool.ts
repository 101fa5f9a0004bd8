import { type ConnectionOwner, UpstreamConnection } from './upstream-connection';

// Shorter than Node's default server keepAliveTimeout (5 s), so an idle connection is closed by
// us before a Node backend closes it, which narrows the race where a request goes out on a
// connection the backend is closing.
const IDLE_MS = 4_000;
// Idle connections kept beyond this are closed; a burst does not leave thousands of sockets open.
const MAX_IDLE = 512;

/**
 * Keep-alive connections to one backend address. The most recently used idle connection goes
 * first (LIFO), so a light load keeps few connections warm and the rest time out. Idle time is
 * checked by one sweep per pool instead of re-arming each socket's timer on every release.
 */
export class UpstreamPool implements ConnectionOwner {
  private readonly idle: UpstreamConnection[] = [];
  private readonly all = new Set<UpstreamConnection>();
  private sweeper: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    readonly host: string,
    readonly port: number,
  ) {}

  /** Connections open or opening, in use or idle. */
  get open(): number {
    return this.all.size;
  }

  /** An idle connection, or a new one (connecting) when none is left or `fresh` asks for one. */
  acquire(fresh = false): UpstreamConnection {
    for (let conn = fresh ? undefined : this.idle.pop(); conn; conn = this.idle.pop()) {
      conn.restingSince = 0;
      if (conn.usable) return conn;
    }
    const conn = new UpstreamConnection(this.host, this.port, this);
    this.all.add(conn);
    return conn;
  }

  release(conn: UpstreamConnection): void {
    if (this.closed || this.idle.length >= MAX_IDLE) return conn.destroy();
    this.idle.push(conn);
    conn.restingSince = Date.now();
    this.sweeper ??= setInterval(() => this.sweep(), IDLE_MS / 4).unref();
  }

  /** Closes connections idle longer than IDLE_MS; they sit oldest first at the bottom of the stack. */
  private sweep(): void {
    const cutoff = Date.now() - IDLE_MS;
    while (this.idle.length > 0 && this.idle[0]!.restingSince < cutoff) {
      const conn = this.idle.shift()!;
      conn.restingSince = 0;
      conn.destroy();
    }
    if (this.all.size === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  forget(conn: UpstreamConnection): void {
    this.all.delete(conn);
    if (conn.restingSince === 0) return;
    conn.restingSince = 0;
    const i = this.idle.lastIndexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
  }

  /** Closes every connection, in use or not (after a removed backend's drain time). */
  destroy(): void {
    this.closed = true;
    clearInterval(this.sweeper);
    for (const conn of [...this.all]) conn.destroy();
  }
}
