'use client';

import { isStaleWrite } from '../lib/trpc';

/** Shown when a save lost an optimistic-concurrency race: reload the other person's version, then edit again. */
export function StaleNotice({ error, what, onReload }: { error: unknown; what: string; onReload: () => void }) {
  if (!isStaleWrite(error)) return null;
  return (
    <div className="notice" role="alert">
      <p>Someone else changed this {what} since you opened it — reload to see their version, then make your change again.</p>
      <button type="button" onClick={onReload}>
        Reload
      </button>
    </div>
  );
}
