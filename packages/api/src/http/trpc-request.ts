import type { IncomingMessage } from 'node:http';
import { TRPCError } from '@trpc/server';
import { assertJsonDepth, readBodyText } from './request-body';

/**
 * Reads a `/api/trpc` request's input before tRPC does, with the limits REST has: the body is
 * refused past BODY_LIMIT_BYTES (before it is buffered) and JSON nested too deep is refused
 * before anything parses it, in the body and in a query's `input` parameter. tRPC then takes
 * the text from `req.body`.
 */
export async function prepareTrpcRequest(req: IncomingMessage): Promise<void> {
  const input = new URL(req.url ?? '/', 'http://localhost').searchParams.get('input');
  if (input) assertJsonDepth(input);
  if (req.method === 'GET' || req.method === 'HEAD') return;
  const text = await readBodyText(req);
  assertJsonDepth(text);
  (req as IncomingMessage & { body?: string }).body = text;
}

/** Procedures that check credentials: one guess per HTTP request, so throttling counts them all. */
const CREDENTIAL_PROCEDURES = new Set(['auth.login', 'auth.setup']);

/** Refuses a batch that carries a credential check (100 password guesses in one request). */
export function assertNoBatchedCredentials(info: { isBatchCall: boolean; calls: readonly { path: string }[] }): void {
  if (!info.isBatchCall || info.calls.length < 2) return;
  const auth = info.calls.find((c) => CREDENTIAL_PROCEDURES.has(c.path));
  if (auth) throw new TRPCError({ code: 'BAD_REQUEST', message: `${auth.path} cannot be batched with other calls; send it on its own` });
}
