/** What a check may give back once its condition holds: an object or `true`, never a bare number or string (nor a promise). */
export type TEventuallyResult = (object & { then?: never }) | true;

/**
 * Waits until `check` gives a result: anything but undefined, null or false. A check that throws
 * is tried again, and the last error is named if time runs out. Results are objects or `true`
 * only (the type says so), so a reading of 0 or an empty body can never be mistaken for "not
 * yet": wrap such a value (`{ v }`). `ms` only bounds a hang; a loaded machine gets there later.
 * `what` names the condition in the error; a function is asked only then (e.g. a process's output).
 */
export async function eventually<T extends TEventuallyResult>(
  check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  ms = 30_000,
  what: string | (() => string) = 'condition',
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== null && v !== false) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) throw new Error(`${typeof what === 'function' ? what() : what} not met within ${ms} ms${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
