import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/**
 * A fetch for RestClient that trusts `--ca` (a private CA's PEM) instead of the system's roots.
 * Node's own fetch takes no CA without an extra dependency; the REST calls need only method,
 * headers and a JSON body. Certificates are still verified: only the trusted roots change.
 */
export function caFetch(caFile: string): typeof fetch {
  let ca: string;
  try {
    ca = readFileSync(caFile, 'utf8');
  } catch (err) {
    throw new Error(`--ca ${caFile}: ${(err as Error).message}`);
  }
  if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`--ca ${caFile}: no PEM certificate in it`);
  return (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const headers = Object.fromEntries(new Headers(init?.headers).entries());
    const body = typeof init?.body === 'string' ? init.body : undefined;
    return await new Promise<Response>((resolve, reject) => {
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(url, { method: init?.method ?? 'GET', headers, ca }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const out = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out.set(k, Array.isArray(v) ? v.join(', ') : v);
          resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: out }));
        });
      });
      // The same shape as fetch's failures: RestClient reports the cause.
      req.on('error', (cause) => reject(Object.assign(new TypeError('fetch failed'), { cause })));
      req.end(body);
    });
  }) as typeof fetch;
}
