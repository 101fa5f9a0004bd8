'use client';

import { useEffect } from 'react';

/** The error boundary every page uses: the rest of the dashboard keeps working, and the page can retry. */
export function PageError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  useEffect(() => console.error(error), [error]);
  return (
    <section className="card" role="alert">
      <h2>Something went wrong on this page</h2>
      <p className="error">{error.message || 'Unexpected error'}</p>
      <button type="button" onClick={reset}>
        Try again
      </button>
    </section>
  );
}
