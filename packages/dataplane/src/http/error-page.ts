import type { ClientResponse } from './client-exchange';

const TITLES: Record<number, string> = { 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' };

/**
 * A short error page with the reason in `X-Fulcrum-Error`. When the response has already
 * started there is nothing honest to send, so the connection is cut instead.
 */
export function sendErrorPage(res: ClientResponse, status: 502 | 503 | 504, reason: string, requestId: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const title = TITLES[status]!;
  const body = `<!doctype html><html><head><title>${status} ${title}</title></head><body><h1>${status} ${title}</h1><p>${reason}</p><p><small>Fulcrum · request ${requestId}</small></p></body></html>\n`;
  res.writeHead(status, title, [
    'Content-Type', 'text/html; charset=utf-8',
    'Content-Length', String(Buffer.byteLength(body)),
    'Cache-Control', 'no-store',
    'X-Fulcrum-Error', reason,
    'X-Request-Id', requestId,
  ]);
  res.end(body);
}
