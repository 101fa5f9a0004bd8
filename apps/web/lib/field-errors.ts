import type { TFieldErrors } from '@fulcrum/protocol';

/** Errors for an input nested under `prefix` (the router's `rule.maxInstances`), keyed as the form names them (`maxInstances`). */
export function scopeFieldErrors(errors: TFieldErrors, prefix: string): TFieldErrors {
  const out: TFieldErrors = {};
  for (const [key, messages] of Object.entries(errors)) {
    const k = key.startsWith(`${prefix}.`) ? key.slice(prefix.length + 1) : key;
    (out[k] ??= []).push(...messages);
  }
  return out;
}

/**
 * A list typed into one input (`backends.1.port`, `steps.0`) shows its items' errors on that
 * input, with the line or item they belong to.
 */
export function foldListErrors(errors: TFieldErrors, list: string, item: string): TFieldErrors {
  const out: TFieldErrors = {};
  const itemKey = new RegExp(`^${list}\\.(\\d+)`);
  for (const [key, messages] of Object.entries(errors)) {
    const m = itemKey.exec(key);
    const k = m ? list : key;
    (out[k] ??= []).push(...(m ? messages.map((msg) => `${item} ${Number(m[1]) + 1}: ${msg}`) : messages));
  }
  return out;
}
