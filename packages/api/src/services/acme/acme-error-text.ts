import { boundedLine } from '../../error-text';

/**
 * What an operator reads when an order fails: the CA's own problem detail, a timeout or a
 * refused connection, on one line and bounded. Never a stack, and never acme-client's internals:
 * a TypeError from parsing a malformed answer becomes "not a valid ACME answer".
 */
export function acmeErrorText(err: unknown): string {
  if (err instanceof TypeError || err instanceof SyntaxError || err instanceof RangeError) return 'the CA answered with something that is not a valid ACME response';
  return boundedLine(err instanceof Error ? err.message : typeof err === 'string' ? err : 'unknown error');
}
