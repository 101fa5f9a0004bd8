import type { Metadata } from 'next';
import Link from 'next/link';

export const metadata: Metadata = { title: 'Not found · Fulcrum' };

/** Any unknown address, and a pool, listener or revision that does not exist (the pages call notFound()). */
export default function NotFound() {
  return (
    <section className="card narrow" data-not-found>
      <h1>404 — not found</h1>
      <p className="muted">Nothing lives at this address: the pool or page may have been deleted, or the link is mistyped.</p>
      <p>
        <Link href="/">Back to the overview</Link>
      </p>
    </section>
  );
}
