import type { ServerResponse } from 'node:http';
import type { PublicError } from '../error-format';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

/**
 * An error as every HTTP face of the API answers it: `message` names the first bad field, as
 * tRPC's does; `data.fieldErrors` holds them all. A refused body (413) closes the connection
 * so that what the client still sends is not read.
 */
export function sendError(res: ServerResponse, error: PublicError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string> = {};
  if (error.retryAfterSeconds !== null) headers['retry-after'] = String(error.retryAfterSeconds);
  if (error.httpStatus === 413) headers.connection = 'close';
  const { code, httpStatus, message, fieldErrors, requestId } = error;
  sendJson(res, httpStatus, { message, code, data: { code, httpStatus, fieldErrors, requestId } }, headers);
}
