import { request } from 'node:http';
import { connect } from 'node:net';
import { type THealthCheck, type TPoolProtocol, healthCheckType } from '@fulcrum/protocol';

export interface ProbeTarget {
  host: string;
  port: number;
}

/**
 * One active health check of a backend, as the pool's data planes run it (HTTP path and
 * expected status, or a TCP connect: the same healthCheckType answer). Deploys and the autoscaler probe new backends themselves
 * before any traffic reaches them.
 */
export function probeBackend(target: ProbeTarget, check: THealthCheck, protocol: TPoolProtocol): Promise<{ ok: boolean; detail: string }> {
  const timeoutMs = check.timeoutMs;
  // A database check's role needs the credential the data planes hold: here a connect is the probe.
  if (healthCheckType({ protocol, healthCheck: check }) !== 'http') {
    return new Promise((resolve) => {
      const socket = connect({ host: target.host, port: target.port });
      const done = (ok: boolean, detail: string) => {
        socket.destroy();
        resolve({ ok, detail });
      };
      socket.setTimeout(timeoutMs, () => done(false, `connect timed out after ${timeoutMs} ms`));
      socket.once('connect', () => done(true, 'connected'));
      socket.once('error', (err) => done(false, err.message));
    });
  }
  return new Promise((resolve) => {
    const req = request({ host: target.host, port: target.port, path: check.path, method: 'GET', agent: false, headers: { 'user-agent': 'fulcrum-probe' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => body.length < 65_536 && (body += c));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        if (status < check.expectedStatusMin || status > check.expectedStatusMax) return resolve({ ok: false, detail: `${check.path} answered ${status}` });
        if (check.bodyContains && !body.includes(check.bodyContains)) return resolve({ ok: false, detail: `${check.path} body lacks "${check.bodyContains}"` });
        resolve({ ok: true, detail: `${check.path} answered ${status}` });
      });
      res.on('error', (err) => resolve({ ok: false, detail: err.message }));
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on('error', (err) => resolve({ ok: false, detail: err.message }));
    req.end();
  });
}

/** Probes until `rise` consecutive passes, or gives up at the deadline; `shouldStop` ends it early. */
export async function waitHealthy(
  target: ProbeTarget,
  check: THealthCheck,
  protocol: TPoolProtocol,
  timeoutMs: number,
  shouldStop: () => Promise<boolean> | boolean = () => false,
): Promise<{ ok: boolean; detail: string }> {
  const deadline = Date.now() + timeoutMs;
  const interval = Math.min(check.intervalMs, 500);
  let passes = 0;
  let last = 'not probed';
  while (Date.now() < deadline) {
    const r = await probeBackend(target, check, protocol);
    last = r.detail;
    passes = r.ok ? passes + 1 : 0;
    if (passes >= check.rise) return { ok: true, detail: last };
    if (await shouldStop()) break;
    await new Promise((r) => setTimeout(r, interval));
  }
  return { ok: false, detail: last };
}
