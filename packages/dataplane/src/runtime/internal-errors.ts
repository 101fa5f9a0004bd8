import process from 'node:process';
/**
 * Where an error escaped to: the event loop (an exception or a rejection nobody awaited), an
 * apply, or the serving of one exchange (its client got a 500 or a cut connection; see
 * `ClientResponse.internalError`).
 */
export type InternalErrorKind = 'uncaught_exception' | 'unhandled_rejection' | 'apply' | 'exchange';

/**
 * Errors that reach the event loop are bugs, not reasons to stop serving (HAProxy and Envoy
 * keep running too): each is logged and counted, and /metrics shows the count as
 * fulcrum_internal_errors_total so that an operator sees them.
 */
class InternalErrors {
  readonly counts: Record<InternalErrorKind, number> = { uncaught_exception: 0, unhandled_rejection: 0, apply: 0, exchange: 0 };
  private log: (line: string) => void = (line) => console.error(line);
  /** A cluster worker's: tells the primary, whose /metrics shows the count. */
  private forward: ((kind: InternalErrorKind) => void) | undefined;
  private installed = false;

  record(kind: InternalErrorKind, err: unknown): void {
    this.counts[kind]++;
    this.forward?.(kind);
    const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
    try {
      this.log(`internal error (${kind}), still serving: ${text}`);
    } catch {
      // A log sink that throws must not turn one bug into a loop.
    }
  }

  /** Adds the given counts (a cluster worker's) to this process's. */
  add(kind: InternalErrorKind, n: number): void {
    this.counts[kind] += n;
  }

  /** Each error recorded from now on is also passed to `forward` (a cluster worker's: to its primary). */
  forwardTo(forward: ((kind: InternalErrorKind) => void) | undefined): void {
    this.forward = forward;
  }

  /** Installs the process-level handlers once; later calls only change the log sink. */
  install(log?: (line: string) => void): void {
    if (log) this.log = log;
    if (this.installed) return;
    this.installed = true;
    process.on('uncaughtException', (err) => this.record('uncaught_exception', err));
    process.on('unhandledRejection', (reason) => this.record('unhandled_rejection', reason));
  }
}

export const internalErrors = new InternalErrors();
