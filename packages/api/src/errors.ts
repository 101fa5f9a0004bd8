import type { TAppErrorCode, TFieldErrors } from '@fulcrum/protocol';
import { TRPCError } from '@trpc/server';

/** The one domain error. Services throw it; transports map its code once, here. */
export class AppError extends Error {
  constructor(
    readonly code: TAppErrorCode,
    message: string,
    readonly fieldErrors?: TFieldErrors,
    /** For TOO_MANY_REQUESTS and UNAVAILABLE: when to try again (the Retry-After header). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'AppError';
  }

  static field(field: string, message: string, code: TAppErrorCode = 'BAD_REQUEST'): AppError {
    return new AppError(code, message, { [field]: [message] });
  }
}

export const HTTP_STATUS: Record<TAppErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  PAYLOAD_TOO_LARGE: 413,
  TOO_MANY_REQUESTS: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

const TRPC_CODE: Record<TAppErrorCode, TRPCError['code']> = {
  BAD_REQUEST: 'BAD_REQUEST',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  PRECONDITION_FAILED: 'PRECONDITION_FAILED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  TOO_MANY_REQUESTS: 'TOO_MANY_REQUESTS',
  UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL: 'INTERNAL_SERVER_ERROR',
};

export function toTRPCError(err: AppError): TRPCError {
  return new TRPCError({ code: TRPC_CODE[err.code], message: err.message, cause: err });
}

interface PrismaKnownError {
  code: string;
  meta?: { target?: unknown; driverAdapterError?: { cause?: { constraint?: { index?: string; fields?: string[] } } } };
}

function isPrismaKnownError(err: unknown): err is PrismaKnownError {
  return typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string' && /^P\d{4}$/.test((err as { code: string }).code);
}

/** Unique indexes a user can run into -> the input field a form should mark, and what to say. */
const UNIQUE_MESSAGES: Record<string, { field: string; message: string }> = {
  Listener_port_key: { field: 'port', message: 'another listener already uses this port' },
  Listener_name_key: { field: 'name', message: 'a listener with this name already exists' },
  Route_listenerId_name_key: { field: 'name', message: 'this listener already has a route with this name' },
  Pool_name_key: { field: 'name', message: 'a pool with this name already exists' },
  Backend_poolId_host_port_key: { field: 'port', message: 'this pool already has a backend at this host and port' },
  User_email_key: { field: 'email', message: 'a user with this email already exists' },
  ProviderProfile_name_key: { field: 'name', message: 'a provider profile with this name already exists' },
  DatabaseCredential_name_key: { field: 'name', message: 'a database credential with this name already exists' },
  ScalingRule_poolId_name_key: { field: 'name', message: 'this pool already has a scaling rule with this name' },
  Deploy_poolId_idempotencyKey_key: { field: 'idempotencyKey', message: 'a deploy with this idempotency key exists' },
};

/** How long a client should wait before retrying while the database is away. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

// Prisma: can't reach (P1001), timed out (P1002, P1008), connection closed (P1017), no pool
// connection in time (P2024), transaction could not start in time (P2028).
const PRISMA_UNAVAILABLE = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028']);
// PostgreSQL SQLSTATE classes and codes that mean "not now" rather than "bad request":
// 08 connection exception, 57 operator intervention (shutdown, statement_timeout), 53300 too many connections.
const PG_UNAVAILABLE = /^(08|57)|^53300$/;
// node-postgres raises these as plain Errors (pool and client timeouts, a dropped socket).
const PG_DRIVER_UNAVAILABLE = /^(Query read timeout|Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended)/;

/** True for errors that say the database is unreachable, frozen or overloaded (answer 503, not 500). */
export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 4) return false;
  const e = err as { code?: unknown; message?: unknown; meta?: { driverAdapterError?: { cause?: { kind?: string; originalCode?: string } } }; cause?: unknown };
  if (typeof e.code === 'string' && PRISMA_UNAVAILABLE.has(e.code)) return true;
  const adapter = e.meta?.driverAdapterError?.cause;
  if (adapter?.kind && ['DatabaseNotReachable', 'SocketTimeout', 'ConnectionClosed', 'TooManyConnections'].includes(adapter.kind)) return true;
  if (adapter?.originalCode && PG_UNAVAILABLE.test(adapter.originalCode)) return true;
  if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && PG_UNAVAILABLE.test(e.code)) return true;
  if (typeof e.code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH'].includes(e.code)) return true;
  if (typeof e.message === 'string' && PG_DRIVER_UNAVAILABLE.test(e.message)) return true;
  return isDatabaseUnavailable(e.cause, depth + 1);
}

/** Turns database errors a user can cause, and database outages, into AppErrors; anything else stays as it is. */
export function fromDatabaseError(err: unknown): unknown {
  if (err instanceof AppError) return err;
  if (isDatabaseUnavailable(err)) {
    return new AppError('UNAVAILABLE', 'the database is not answering; try again shortly', undefined, DATABASE_RETRY_AFTER_SECONDS);
  }
  if (!isPrismaKnownError(err)) return err;
  if (err.code === 'P2002') {
    const index = err.meta?.driverAdapterError?.cause?.constraint?.index ?? '';
    const known = UNIQUE_MESSAGES[index];
    if (known) return AppError.field(known.field, known.message);
    return new AppError('CONFLICT', `already exists (${index || 'unique constraint'})`);
  }
  if (err.code === 'P2025') return new AppError('NOT_FOUND', 'not found');
  if (err.code === 'P2003') return new AppError('BAD_REQUEST', 'refers to something that does not exist');
  return err;
}
