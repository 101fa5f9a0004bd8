import { performance } from 'node:perf_hooks';
import { eventClock } from './event-clock';

/**
 * A connection's inactivity limit, kept with one timer that activity does not touch. A socket's
 * own timeout (`socket.setTimeout`) is taken out of node's timer list and put back on every read
 * and every write: four times for each small proxied request (its read and write on each side),
 * about a twentieth of the request's own work. Here a read or write only notes the time (the
 * read's, `eventClock`); the timer fires when the limit could first have run out and, finding
 * activity since, waits again for what is left of the limit counted from the last activity. A
 * silence is still cut at the limit, to the millisecond as before; a busy connection costs one
 * timer per limit's length.
 */
export class IdleTimer {
  private limitMs = 0;
  /** The last activity, or the arming (performance.now()). */
  private lastActive = 0;
  /** When the pending timer fires (same clock); meaningless while none is pending. */
  private dueAt = 0;
  private timer: NodeJS.Timeout | undefined;

  /** `onIdle` runs each time the connection has been silent for the armed limit. */
  constructor(private readonly onIdle: () => void) {}

  /** The limit from now on, counted from now; 0 turns it off. */
  arm(ms: number): void {
    const now = eventClock.now();
    this.limitMs = ms;
    this.lastActive = now;
    if (ms <= 0) {
      this.stop();
      return;
    }
    // A pending timer that fires no later than the new limit checks it then; one due later is replaced.
    if (this.timer !== undefined && this.dueAt <= now + ms) return;
    this.schedule(ms, now);
  }

  /** A read or a write: the silence counts from now. */
  touch(): void {
    this.lastActive = eventClock.now();
  }

  /** No limit any more (the connection closed or was handed on). */
  stop(): void {
    this.limitMs = 0;
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  private schedule(ms: number, now: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.dueAt = now + ms;
    // Like a socket's own timeout, it does not keep the process alive.
    this.timer = setTimeout(this.fire, ms).unref();
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    const now = performance.now();
    const left = this.lastActive + this.limitMs - now;
    if (left > 0) {
      this.schedule(Math.ceil(left), now);
      return;
    }
    // Silent for the whole limit. Counted again from here: a handler that neither closes the
    // connection nor re-arms it (an answer written on a timed-out connection) hears once more.
    this.lastActive = now;
    this.schedule(this.limitMs, now);
    this.onIdle();
  };
}
