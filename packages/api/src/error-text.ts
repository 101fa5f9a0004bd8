import { AppError, fromDatabaseError } from './errors';

const MAX_CHARS = 500;

/** The parts of a Prisma error that say what the database answered. */
interface PrismaErrorShape {
  clientVersion?: unknown;
  meta?: { driverAdapterError?: { cause?: { originalMessage?: unknown; message?: unknown } } };
}

/**
 * An error as an operator reads it in an event: one line, bounded. A domain error says what it
 * says and a database error gives the database's own reason; never a stack, and never Prisma's
 * invocation text (it quotes our source). The details belong in the log.
 */
export function errorText(err: unknown): string {
  const mapped = fromDatabaseError(err);
  return boundedLine(mapped instanceof AppError ? mapped.message : rawText(err));
}

/** A message on one line (line breaks and other control characters, with the spaces around them, become one space), at most MAX_CHARS. */
export function boundedLine(message: string): string {
  const text = message.replace(/\s*[\u0000-\u001f\u007f]+\s*/g, ' ').trim() || 'unknown error';
  return text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS)}…` : text;
}

function rawText(err: unknown): string {
  const prisma = (typeof err === 'object' && err !== null ? err : {}) as PrismaErrorShape;
  if (prisma.clientVersion !== undefined) {
    const cause = prisma.meta?.driverAdapterError?.cause;
    const reason = cause?.originalMessage ?? cause?.message;
    return typeof reason === 'string' ? `database error: ${reason}` : 'database error';
  }
  if (err instanceof Error) return err.message;
  return typeof err === 'string' ? err : 'unknown error';
}
