import { setFlagsFromString } from 'node:v8';
import { compileLinearRegex } from '@fulcrum/protocol';

// The control plane tests URLs against route tables as the data plane does: with V8's
// linear-time engine, so an operator's regex cannot make the control plane backtrack either.
setFlagsFromString('--enable-experimental-regexp-engine');

export const compileRouteRegex: (source: string) => RegExp = compileLinearRegex;

/**
 * For showing and testing a saved table: a regex this engine cannot run (a route stored before
 * a check, or restored from an old revision) matches nothing here instead of failing the page;
 * the data plane refuses that listener with the reason.
 */
export function compileRouteRegexOrNever(source: string): { test(s: string): boolean } {
  try {
    return compileLinearRegex(source);
  } catch {
    return { test: () => false };
  }
}
