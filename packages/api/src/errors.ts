import { type TAppErrorCode, type TFieldErrors } from '@fulcrum/protocol';
import { TRPCError } from '@trpc/server';

/** The one domain error. Services throw it; transports map its code once, here. */
export class AppError extends Error {
  constructor(
    readonly code: TAppErrorCode,
    message: string,
    readonly fieldErrors?: TFieldErrors,
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
  INTERNAL: 500,
};

const TRPC_CODE: Record<TAppErrorCode, TRPCError['code']> = {
  BAD_REQUEST: 'BAD_REQUEST',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  PRECONDITION_FAILED: 'PRECONDITION_FAILED',
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
  Pool_listenPort_key: { field: 'listenPort', message: 'another pool already listens on this port' },
  Pool_name_key: { field: 'name', message: 'a pool with this name already exists' },
  Backend_poolId_host_port_key: { field: 'port', message: 'this pool already has a backend at this host and port' },
  User_email_key: { field: 'email', message: 'a user with this email already exists' },
  ProviderProfile_name_key: { field: 'name', message: 'a provider profile with this name already exists' },
  ScalingRule_poolId_name_key: { field: 'name', message: 'this pool already has a scaling rule with this name' },
  Deploy_poolId_idempotencyKey_key: { field: 'idempotencyKey', message: 'a deploy with this idempotency key exists' },
};

/** Turns database errors a user can cause into AppErrors; anything else stays as it is. */
export function fromDatabaseError(err: unknown): unknown {
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
