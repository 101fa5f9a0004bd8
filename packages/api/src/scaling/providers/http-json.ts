import { request } from 'node:http';
import { request as requestTls } from 'node:https';

export interface HttpJsonOptions {
  method: string;
  /** Full URL, or a path when socketPath is set. */
  url: string;
  socketPath?: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
}

export interface HttpJsonResult {
  status: number;
  json: unknown;
  text: string;
}

/**
 * One HTTP request with a JSON answer; works over a unix socket too (the Docker Engine API), which
 * fetch cannot. It goes to the given target only: a redirect is an answer like any other (a 3xx
 * that the caller refuses), never followed, so a profile's target cannot bounce the control plane
 * to another address.
 */
export function httpJson(opts: HttpJsonOptions): Promise<HttpJsonResult> {
  return new Promise((resolve, reject) => {
    const target = opts.socketPath ? { socketPath: opts.socketPath, path: opts.url } : undefined;
    const url = target ? undefined : new URL(opts.url);
    const send = url?.protocol === 'https:' ? requestTls : request;
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    if (opts.body !== undefined) headers['content-length'] = String(Buffer.byteLength(opts.body));
    const req = send(
      target ? { ...target, method: opts.method, headers, host: 'docker' } : { hostname: url!.hostname, port: url!.port, path: `${url!.pathname}${url!.search}`, method: opts.method, headers },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          let json: unknown = undefined;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            // not JSON: callers look at text
          }
          resolve({ status: res.statusCode ?? 0, json, text });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(opts.timeoutMs ?? 15_000, () => req.destroy(new Error(`${opts.method} ${opts.url} timed out`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

export function expectStatus(res: HttpJsonResult, ok: number[], what: string): void {
  if (ok.includes(res.status)) return;
  const message = (res.json as { message?: string } | undefined)?.message ?? res.text.slice(0, 300);
  throw new Error(`${what} failed: HTTP ${res.status}${message ? `: ${message}` : ''}`);
}
