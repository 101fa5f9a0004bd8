import { request } from 'node:http';
import { connect } from 'node:net';
import { type TDataplaneEvent, healthCheckType } from '@fulcrum/protocol';
import { internalErrors } from '../runtime/internal-errors';
import type { PoolRuntime, RuntimeBackend } from '../runtime/pool-runtime';
import { checkDatabase } from './database-check';

const MAX_BODY = 64 * 1024;

/** The secrets of the running snapshot (a database check's password), by reference. */
export type SnapshotSecrets = Readonly<Record<string, string>> | undefined;

/**
 * One probe: HTTP (status in range, optional body substring), a TCP connect, or a database's role
 * (postgres, mysql). Never rejects: a check that cannot even be sent (node:http throws on some
 * paths) is a failed check with the reason.
 */
export function probe(pool: PoolRuntime, b: RuntimeBackend, secrets?: SnapshotSecrets): Promise<{ ok: boolean; reason: string }> {
  const type = healthCheckType(pool.config);
  const run = type === 'postgres' || type === 'mysql' ? checkDatabase(type, pool.config, b.config, secrets) : startProbe(pool, b);
  return run.catch((err: unknown) => ({ ok: false, reason: `check not sent: ${err instanceof Error ? err.message : String(err)}` }));
}

function startProbe(pool: PoolRuntime, b: RuntimeBackend): Promise<{ ok: boolean; reason: string }> {
  const hc = pool.config.healthCheck;
  return new Promise((resolve) => {
    let settled = false;
    const done = (ok: boolean, reason: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ok, reason });
    };
    const timer = setTimeout(() => {
      cleanup();
      done(false, `no answer within ${hc.timeoutMs} ms`);
    }, hc.timeoutMs);
    let cleanup = () => {};
    if (healthCheckType(pool.config) === 'tcp') {
      const s = connect({ host: b.config.host, port: b.config.port }, () => {
        s.destroy();
        done(true, 'connected');
      });
      s.on('error', (e: NodeJS.ErrnoException) => done(false, `connect: ${e.code ?? e.message}`));
      cleanup = () => s.destroy();
      return;
    }
    const r = request({ host: b.config.host, port: b.config.port, path: hc.path, method: 'GET', agent: false, headers: { 'user-agent': 'fulcrum-health-check', connection: 'close' } }, (res) => {
      const status = res.statusCode ?? 0;
      const inRange = status >= hc.expectedStatusMin && status <= hc.expectedStatusMax;
      if (!hc.bodyContains) {
        res.resume();
        return done(inRange, `status ${status}`);
      }
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        if (body.length < MAX_BODY) body += c;
      });
      res.on('end', () =>
        done(inRange && body.includes(hc.bodyContains!), inRange ? `status ${status}, body ${body.includes(hc.bodyContains!) ? 'matches' : 'lacks the expected text'}` : `status ${status}`),
      );
      res.on('error', (e) => done(false, e.message));
    });
    r.on('error', (e: NodeJS.ErrnoException) => done(false, `${e.code ?? e.message}`));
    r.end();
    cleanup = () => r.destroy();
  });
}

/**
 * Active health checks for every backend of every pool that asks for them, at the pool's
 * interval with a little jitter so checks do not arrive in bursts. State flips only after
 * `rise` or `fall` results in a row; every flip is an event with its reason.
 */
export class ActiveHealthChecker {
  /** One pending timer per pool and backend. */
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private generation = 0;

  constructor(
    private readonly now: () => number,
    private readonly emit: (e: TDataplaneEvent) => void,
  ) {}

  start(pools: Iterable<PoolRuntime>, secrets?: SnapshotSecrets): void {
    this.stop();
    const gen = ++this.generation;
    for (const pool of pools) {
      const hc = pool.config.healthCheck;
      if (!hc.enabled) continue;
      for (const b of pool.backends) {
        const key = `${pool.config.id}/${b.id}`;
        const run = async () => {
          const result = await probe(pool, b, secrets);
          if (gen !== this.generation) return;
          try {
            this.record(pool, b, result);
          } catch (err) {
            internalErrors.record('uncaught_exception', err);
          }
          schedule(hc.intervalMs);
        };
        const schedule = (ms: number) => {
          if (gen !== this.generation) return;
          const t = setTimeout(() => void run(), ms * (0.9 + Math.random() * 0.2));
          t.unref();
          this.timers.set(key, t);
        };
        schedule(Math.min(hc.intervalMs, 50) * Math.random());
      }
    }
  }

  /** Records one result; a flip (after rise or fall in a row) is an event with its reason. */
  private record(pool: PoolRuntime, b: RuntimeBackend, result: { ok: boolean; reason: string }): void {
    const hc = pool.config.healthCheck;
    const flipped = b.state.recordCheck(result.ok, hc.rise, hc.fall, this.now());
    if (!flipped) return;
    this.emit({
      kind: 'health_flip',
      severity: flipped === 'healthy' ? 'info' : 'warning',
      poolId: pool.config.id,
      backendId: b.id,
      message: `${b.address} in ${pool.config.name} is ${flipped}: ${result.reason}`,
      data: { state: flipped, reason: result.reason },
      ts: Date.now(),
    });
  }

  stop(): void {
    this.generation++;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
