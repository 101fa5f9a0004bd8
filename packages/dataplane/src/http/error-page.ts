import { Buffer } from 'node:buffer';
import type { ClientResponse } from './client-exchange';

/** Why a client got a 500: an exception escaped while its exchange was served (see `ClientResponse.internalError`). */
export const INTERNAL_ERROR_REASON = 'the proxy failed while serving this request';
/** The body of that 500 (as the listener's other answers of its own: status, then reason). */
export const INTERNAL_ERROR_TEXT = `500 Internal Server Error: ${INTERNAL_ERROR_REASON}\n`;

const TITLES: Record<number, string> = { 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' };
const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text made safe to place in an HTML page (element content or a quoted attribute). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/**
 * A short error page with the reason in `X-Fulcrum-Error`. The reason is the proxy's own
 * wording; `detail` (the backend's address) reaches the client only in that header and only
 * when the pool's `http.exposeErrorDetails` asks for it, never in the page. When the response
 * has already started there is nothing honest to send, so the connection is cut instead.
 */
export function sendErrorPage(res: ClientResponse, status: 502 | 503 | 504, reason: string, requestId: string, detail?: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const title = TITLES[status]!;
  // The request id may be the client's own X-Request-Id: escaped like everything reflected.
  const body = `<!doctype html><html><head><title>${status} ${title}</title></head><body><h1>${status} ${title}</h1><p>${escapeHtml(reason)}</p><p><small>Fulcrum · request ${escapeHtml(requestId)}</small></p></body></html>\n`;
  res.writeHead(status, title, [
    'Content-Type',
    'text/html; charset=utf-8',
    'Content-Length',
    String(Buffer.byteLength(body)),
    'Cache-Control',
    'no-store',
    'X-Content-Type-Options',
    'nosniff',
    'X-Fulcrum-Error',
    detail ? `${reason} (${detail})` : reason,
    'X-Request-Id',
    requestId,
  ]);
  res.end(body);
}
