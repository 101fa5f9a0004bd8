import { randomUUID } from 'node:crypto';

/** The longest client X-Request-Id the proxy keeps (tracing ids are 16–64 characters). */
export const MAX_CLIENT_REQUEST_ID = 128;

/** 1 to MAX_CLIENT_REQUEST_ID visible ASCII characters: no space, no control or non-ASCII byte. */
const WELL_FORMED = new RegExp(`^[\\x21-\\x7e]{1,${MAX_CLIENT_REQUEST_ID}}$`);

interface HasHeaders {
  header(lowerName: string): string | undefined;
}

/**
 * The client's X-Request-Id when it is well formed, else undefined. A client's id is copied into
 * the upstream request, every log and tail line and error answer, so one longer than a tracing id
 * or holding spaces or bytes outside visible ASCII is not taken on (the proxy makes its own).
 */
export function clientRequestId(req: HasHeaders): string | undefined {
  const given = req.header('x-request-id');
  return given !== undefined && WELL_FORMED.test(given) ? given : undefined;
}

/** The request's id: the client's well-formed X-Request-Id, or a new UUID. */
export function requestIdOf(req: HasHeaders): string {
  return clientRequestId(req) ?? randomUUID();
}
