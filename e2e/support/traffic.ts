import { get, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** One plain HTTP request through a pool's listener: the status and body, or undefined when it failed. */
export function getThrough(port: number, timeoutMs = 5000): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/', timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

/**
 * One request to a listener on 127.0.0.1 with `host` as its Host header (and, over HTTPS, as
 * its SNI name, verified against `ca` only): the body, or undefined when it failed (for expect.poll).
 */
export function bodyForHost(port: number, host: string, tls?: { ca: string }): Promise<string | undefined> {
  return new Promise((resolve) => {
    const opts = { host: '127.0.0.1', port, path: '/', headers: { host }, timeout: 5000 };
    const onResponse = (res: import('node:http').IncomingMessage) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(body));
      res.on('error', () => resolve(undefined));
    };
    const req = tls ? httpsRequest({ ...opts, servername: host, ca: tls.ca, agent: false }, onResponse) : httpRequest(opts, onResponse);
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** The body a request through the pool gets (undefined when it failed): for `expect.poll`. */
export const bodyThrough = async (port: number) => (await getThrough(port))?.body;

/**
 * Plain HTTP requests through a pool, two at a time, for at most `ms` (bounded whatever happens
 * to the test) until stopped. `seen` counts answers by body, `statuses` by status code.
 */
export function sendTraffic(port: number, ms: number) {
  let stopped = false;
  const seen: Record<string, number> = {};
  const statuses: number[] = [];
  const deadline = Date.now() + ms;
  const loop = async () => {
    while (!stopped && Date.now() < deadline) {
      const r = await getThrough(port, 2000);
      if (r) {
        seen[r.body] = (seen[r.body] ?? 0) + 1;
        statuses.push(r.status);
      }
      // Paces the load (this is traffic, not a wait before an assertion).
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const done = Promise.all([loop(), loop()]);
  return { seen, statuses, stop: async () => ((stopped = true), await done) };
}
