import type { TPoolConfigInput } from '@fulcrum/protocol';
import { Dataplane } from '../../dataplane';
import { freePort, snapshotFor } from '../../test-support';
import { type ReferenceRequest, LlhttpReference, type RawOutcome, rawExchange } from './raw-exchange';
import { type ForwardedRequest, RecordingBackend } from './recording-backend';

export interface RunResult {
  client: RawOutcome;
  forwarded: ForwardedRequest[];
  /** Everything wrong with what reached the backend, whatever the client sent. */
  problems: string[];
}

const header = (r: ForwardedRequest, lower: string) => r.headers.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);

/**
 * The proxy (an in-process data plane) in front of a `RecordingBackend`, plus llhttp as a
 * reference, for the conformance corpus and the fuzzer. One request stream runs at a time, so
 * whatever the backend receives during a run belongs to that run.
 */
export class ProxyHarness {
  readonly backend = new RecordingBackend();
  readonly reference = new LlhttpReference();
  readonly dp = new Dataplane();
  port = 0;

  async start(pool: Partial<TPoolConfigInput> = {}): Promise<this> {
    const backendPort = await this.backend.start();
    await this.reference.start();
    this.port = await freePort();
    // No retries: a request the backend saw twice would hide what the proxy sent.
    const snapshot = snapshotFor(this.port, [{ name: 'recorder', port: backendPort }], { retries: { attempts: 0 }, ...pool });
    const applied = await this.dp.applySnapshot(snapshot);
    if (!applied.ok) throw new Error(applied.error);
    return this;
  }

  async run(pieces: Buffer[], opts: { halfClose: boolean; deadlineMs?: number }): Promise<RunResult> {
    const deadlineMs = opts.deadlineMs ?? 10_000;
    const client = await rawExchange(this.port, pieces, { halfClose: opts.halfClose, deadlineMs });
    const problems: string[] = [];
    if (!client.closed) problems.push(`the proxy neither answered nor closed within ${deadlineMs} ms`);
    // The client is gone: wait for the proxy to finish with the backend (bounded, for a hang).
    const pool = this.dp.pool('test')!;
    const settleBy = Date.now() + deadlineMs;
    while (pool.inflight > 0 && Date.now() < settleBy) await new Promise((r) => setTimeout(r, 2));
    if (pool.inflight > 0) problems.push('requests still in flight after the client left');
    // An exchange aborted when the client left closes its upstream connection, perhaps just
    // connected and with a whole request already written: the backend accepts it, reads the
    // request, then sees the close. Once the backend's connections are the proxy's open ones,
    // each side has seen every open and close, and nothing the proxy sent in this run is left to
    // arrive in the next.
    const open = () => pool.backends.reduce((n, b) => n + b.upstream.open, 0);
    while (this.backend.connections !== open() && Date.now() < settleBy) await new Promise((r) => setTimeout(r, 1));
    await new Promise((r) => setImmediate(r));
    // A request the proxy abandoned half-sent is its connection's end; it must not be reused.
    this.backend.dropPartial();
    const { requests, violations } = this.backend.take();
    problems.push(...violations.map((v) => `backend saw ${v}`));
    for (const r of requests) {
      const where = `${r.method} ${r.target}`;
      const xff = header(r, 'x-forwarded-for');
      if (xff.length !== 1 || xff[0] !== '127.0.0.1') problems.push(`${where}: X-Forwarded-For ${JSON.stringify(xff)} is not the proxy's own`);
      const realIp = header(r, 'x-real-ip');
      if (realIp.length !== 1 || realIp[0] !== '127.0.0.1') problems.push(`${where}: X-Real-IP ${JSON.stringify(realIp)}`);
      if (header(r, 'host').length !== 1) problems.push(`${where}: not exactly one Host`);
      if (header(r, 'x-request-id').length !== 1) problems.push(`${where}: not exactly one X-Request-Id`);
    }
    return { client, forwarded: requests, problems };
  }

  /** llhttp's reading of the same bytes. */
  referenceParse(pieces: Buffer[]): Promise<{ requests: ReferenceRequest[]; error: string | undefined }> {
    return this.reference.parse(pieces);
  }

  async stop(): Promise<void> {
    await this.dp.stop();
    await this.backend.close();
    await this.reference.close();
  }
}

/** The target as the proxy forwards it: absolute form becomes origin form. */
export function originForm(url: string): string {
  const m = /^https?:\/\/[^/?]*(.*)$/i.exec(url);
  if (!m) return url;
  const rest = m[1]!;
  return rest.startsWith('/') ? rest : `/${rest}`;
}
