import type { z } from 'zod';

/** The codes of the one domain error type, mapped once to tRPC codes and HTTP statuses. */
export const APP_ERROR_CODES = [
  'BAD_REQUEST',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'PRECONDITION_FAILED',
  'PAYLOAD_TOO_LARGE',
  'TOO_MANY_REQUESTS',
  'UNAVAILABLE',
  'INTERNAL',
] as const;
export type TAppErrorCode = (typeof APP_ERROR_CODES)[number];

export type TFieldErrors = Record<string, string[]>;

/** Flattens zod issues to `{ "healthCheck.path": ["path must start with /"] }` so forms can show them per field. */
export function flattenZodIssues(issues: readonly z.core.$ZodIssue[]): TFieldErrors {
  const out: TFieldErrors = {};
  for (const issue of issues) {
    const key = issue.path.length ? issue.path.map(String).join('.') : '_';
    (out[key] ??= []).push(issue.message);
  }
  return out;
}
