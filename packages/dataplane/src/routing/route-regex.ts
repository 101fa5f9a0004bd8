import { setFlagsFromString } from 'node:v8';
import { compileLinearRegex } from '@fulcrum/protocol';

// V8's automaton-based engine (the `l` flag) matches in time linear in the subject whatever the
// pattern: no catastrophic backtracking is possible, and what it cannot run (backreferences,
// lookaround) is refused when the route is compiled, never at request time.
setFlagsFromString('--enable-experimental-regexp-engine');

/** Compiles a route's path regex once, for the linear-time engine; throws with the reason when it cannot. */
export const compileRouteRegex: (source: string) => RegExp = compileLinearRegex;
