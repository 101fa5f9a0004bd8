import type { TFieldErrors } from '@fulcrum/protocol';

/** A usage mistake: printed with the usage hint, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The server said no: its status, message and per-field errors. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
    readonly fieldErrors: TFieldErrors = {},
  ) {
    super(message);
  }

  describe(): string {
    const fields = Object.entries(this.fieldErrors).filter(([k]) => k !== '_');
    const lines = [this.status ? `error: ${this.message} (HTTP ${this.status})` : `error: ${this.message}`];
    for (const [field, msgs] of fields) lines.push(`  ${field}: ${msgs.join('; ')}`);
    return lines.join('\n');
  }
}
