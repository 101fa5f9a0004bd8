import { randomUUID } from 'node:crypto';
import { type TFieldErrors, flattenZodIssues } from '@fulcrum/protocol';
import { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import { ZodError } from 'zod';
import { AppError, fromDatabaseError, toTRPCError } from './errors';

/** What any API response says about an error: never a stack, a driver message or SQL. */
export interface PublicError {
  code: TRPCError['code'];
  httpStatus: number;
  message: string;
  fieldErrors: TFieldErrors | null;
  /** Set on unexpected errors: the same id is in the server log beside the details. */
  requestId: string | null;
  retryAfterSeconds: number | null;
}

let logInternal: (line: string) => void = (line) => console.error(line);

/** Where the details of unexpected errors go (the server's log). */
export function setInternalErrorLog(log: (line: string) => void): void {
  logInternal = log;
}

const requestIds = new WeakMap<TRPCError, string>();

/** Anything thrown while serving a call, as the TRPCError the transports answer with. */
export function asTRPCError(err: unknown): TRPCError {
  if (err instanceof TRPCError) {
    if (err.cause instanceof AppError) return toTRPCError(err.cause);
    if (err.code !== 'INTERNAL_SERVER_ERROR') return err;
    const mapped = fromDatabaseError(err.cause);
    return mapped instanceof AppError ? toTRPCError(mapped) : err;
  }
  const mapped = fromDatabaseError(err);
  if (mapped instanceof AppError) return toTRPCError(mapped);
  return new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'internal error', cause: err });
}

/** "listenPort: port must be between 1 and 65535" — the field named first, for API users. */
function describeFields(fields: TFieldErrors): string {
  return (
    Object.entries(fields)
      .map(([k, msgs]) => (k === '_' ? msgs.join('; ') : `${k}: ${msgs.join('; ')}`))
      .join('; ') || 'invalid input'
  );
}

/**
 * The one error formatter, for tRPC and REST alike: validation errors name their fields,
 * domain errors say what they say, and anything unexpected becomes a generic 500 with a
 * request id whose details (stack, driver text) go only to the log.
 */
export function toPublicError(error: TRPCError): PublicError {
  const cause = error.cause;
  const httpStatus = getHTTPStatusCodeFromError(error);
  const base = { code: error.code, httpStatus, fieldErrors: null, requestId: null, retryAfterSeconds: null };
  if (cause instanceof AppError) {
    return { ...base, message: cause.message, fieldErrors: cause.fieldErrors ?? null, retryAfterSeconds: cause.retryAfterSeconds ?? null };
  }
  // Before ZodError: an output that fails its schema is our bug, not the caller's input.
  if (error.code === 'INTERNAL_SERVER_ERROR') {
    let requestId = requestIds.get(error);
    if (!requestId) {
      requestId = randomUUID();
      requestIds.set(error, requestId);
      const detail = cause instanceof Error ? (cause.stack ?? cause.message) : (error.stack ?? error.message);
      logInternal(`internal error, request ${requestId}: ${detail}`);
    }
    return { ...base, message: `internal error (request ${requestId})`, requestId };
  }
  if (cause instanceof ZodError) {
    const fieldErrors = flattenZodIssues(cause.issues);
    return { ...base, message: describeFields(fieldErrors), fieldErrors };
  }
  // tRPC's own refusals (unknown procedure, malformed JSON, wrong method) and role checks.
  return { ...base, message: error.message };
}

/** The Retry-After header for a response carrying these errors (429 and 503), if any. */
export function retryAfterHeaders(errors: readonly TRPCError[]): Record<string, string> {
  const seconds = errors.map((e) => (e.cause instanceof AppError ? e.cause.retryAfterSeconds : undefined)).filter((s): s is number => s !== undefined);
  return seconds.length ? { 'retry-after': String(Math.max(...seconds)) } : {};
}
