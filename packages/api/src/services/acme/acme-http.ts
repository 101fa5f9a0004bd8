import { Agent } from 'node:https';
import * as acme from 'acme-client';

/** One request to the CA: an answer must start within this (a CA that never answers fails the order, it does not hang it). */
export const ACME_REQUEST_TIMEOUT_MS = 15_000;
/** The largest answer read from a CA: a certificate chain is a few KiB; a hostile directory streaming forever is cut off. */
const MAX_RESPONSE_BYTES = 1_048_576;

const agents = new Map<string, Agent>();
let installed = false;
let requestTimeoutMs = ACME_REQUEST_TIMEOUT_MS;

/**
 * acme-client talks through one shared axios instance with no timeout, no size bound and
 * redirects followed. Installed once for the process: every request gets a timeout and a size
 * bound, follows no redirect (RFC 8555 never needs one), goes over https only, and a request to a directory registered
 * with its own CA (a private ACME server, pebble in tests) is verified against that CA alone.
 * Connection errors and 5xx are retried by acme-client a few times, briefly, not for minutes.
 */
export function installAcmeHttp(opts: { requestTimeoutMs?: number } = {}): void {
  if (opts.requestTimeoutMs) requestTimeoutMs = opts.requestTimeoutMs;
  if (installed) return;
  installed = true;
  const settings = (acme.axios.defaults as unknown as { acmeSettings: { retryMaxAttempts: number; retryDefaultDelay: number } }).acmeSettings;
  settings.retryMaxAttempts = 3;
  settings.retryDefaultDelay = 1;
  // acme-client's retry handler reads `response.config` of an error that has no response (a
  // timeout, a refused connection, an answer over the size bound) and throws a TypeError in its
  // place: the operator would read "not a valid ACME response" for "timeout of 15000ms exceeded".
  // Its handler is kept; only that TypeError is turned back into the error it replaced.
  const handlers = (acme.axios.interceptors.response as unknown as { handlers: ({ rejected?: (e: unknown) => unknown } | null)[] }).handlers;
  for (const h of handlers) {
    const rejected = h?.rejected;
    if (!h || !rejected) continue;
    h.rejected = async (error: unknown) => {
      try {
        return await rejected(error);
      } catch (thrown) {
        if (thrown instanceof TypeError && error instanceof Error && !(error as { response?: unknown }).response) throw error;
        throw thrown;
      }
    };
  }
  acme.axios.interceptors.request.use((config) => {
    config.timeout = requestTimeoutMs;
    config.maxContentLength = MAX_RESPONSE_BYTES;
    config.maxBodyLength = MAX_RESPONSE_BYTES;
    config.maxRedirects = 0;
    // RFC 8555 §6.1: all of ACME goes over HTTPS; a directory naming plain HTTP (or another scheme) is refused, not followed.
    if (config.url && !config.url.startsWith('https://')) throw new Error(`the CA's directory named a URL that is not https:// (${config.url.slice(0, 200)})`);
    const agent = config.url ? agents.get(originOf(config.url)) : undefined;
    if (agent) config.httpsAgent = agent;
    return config;
  });
}

/** Trusts `caPem` (only) for every URL on the directory's origin; the CA's other URLs sit on the same origin. */
export function trustDirectoryCa(directoryUrl: string, caPem: string | null | undefined): void {
  installAcmeHttp();
  const origin = originOf(directoryUrl);
  if (!caPem) agents.delete(origin);
  else agents.set(origin, new Agent({ ca: caPem, keepAlive: false }));
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}
