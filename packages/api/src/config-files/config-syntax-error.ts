import { AppError } from '../errors';

/**
 * A file the importer cannot read, worded as the tool itself would (`nginx -t`, `haproxy -c`):
 * the line and the reason. It answers 400 naming the `text` field, never a 500.
 */
export class ConfigSyntaxError extends Error {
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'ConfigSyntaxError';
  }

  toAppError(format: 'nginx' | 'haproxy', fileName: string): AppError {
    const message = format === 'nginx' ? `[emerg] ${this.reason} in ${fileName}:${this.line}` : `parsing [${fileName}:${this.line}] : ${this.reason}`;
    return AppError.field('text', message);
  }
}

/** Past this nesting a file is refused: real configs nest four or five levels. */
export const MAX_NESTING = 16;
/** Past these counts a file is refused rather than turned into a plan nobody can read. */
export const MAX_POOLS = 200;
export const MAX_BACKENDS_PER_POOL = 1000;
