import type { ServerResponse } from 'node:http';

const TITLES: Record<number, string> = { 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' };

/**
 * A short error page with the reason in `X-Fulcrum-Error`. When the response has already
 * started there is nothing honest to send, so the connection is cut instead.
 */
export function sendErrorPage(res: ServerResponse, status: 502 | 503 | 504, reason: string, requestId: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const title = TITLES[status];
  const body = `<!doctype html><html><head><title>${status} ${title}</title></head><body><h1>${status} ${title}</h1><p>${reason}</p><p><small>Fulcrum · request ${requestId}</small></p></body></html>\n`;
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-fulcrum-error': reason,
    'x-request-id': requestId,
  });
  res.end(body);
}
