import { setFlagsFromString } from 'node:v8';
import { compileLinearRegex } from '@fulcrum/protocol';

// The control plane tests URLs against route tables as the data plane does: with V8's
// linear-time engine, so an operator's regex cannot make the control plane backtrack either.
setFlagsFromString('--enable-experimental-regexp-engine');

export const compileRouteRegex: (source: string) => RegExp = compileLinearRegex;
