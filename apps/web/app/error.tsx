'use client';

export default function PageError({ error, reset }: { error: Error; reset: () => void }) {
  return (
    <section className="card">
      <h2>Something went wrong on this page</h2>
      <p className="error">{error.message}</p>
      <button type="button" onClick={reset}>
        Try again
      </button>
    </section>
  );
}
