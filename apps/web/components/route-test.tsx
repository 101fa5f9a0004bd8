'use client';

import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { describeError, useTRPC } from '../lib/trpc';

/** "Which route would this URL take?": answered by the control plane with the data plane's own matcher. */
export function RouteTest({ listener }: { listener: string }) {
  const trpc = useTRPC();
  const [error, setError] = useState<string | null>(null);
  const test = useMutation(trpc.listeners.whichRoute.mutationOptions({ onError: (err) => setError(describeError(err)), onSuccess: () => setError(null) }));
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    test.mutate({ listener, url: String(f.get('url') ?? ''), method: String(f.get('method') || 'GET') });
  };
  const answer = test.data;
  return (
    <section className="card">
      <h2>Test a URL</h2>
      <form className="row" onSubmit={submit} aria-label="Test a URL">
        <label>
          <span className="label">Method</span>
          <input name="method" defaultValue="GET" size={7} />
        </label>
        <label className="grow">
          <span className="label">URL</span>
          <input name="url" placeholder="http://api.example.com/v1/users" />
        </label>
        <button type="submit" disabled={test.isPending}>
          Test
        </button>
      </form>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {answer && (
        <div className="route-answer" data-testid="route-answer">
          <p>
            {answer.route ? (
              <>
                Takes route <strong>{answer.route.name}</strong>
              </>
            ) : (
              <strong>No route matches: the data plane answers 404</strong>
            )}{' '}
            <span className="muted mono">
              ({answer.request.method} {answer.request.host ?? '(no host)'} {answer.request.path})
            </span>
          </p>
          <ol>
            {answer.checks.map((c, i) => (
              <li key={i} className={c.matched ? 'ok' : 'muted'}>
                {c.matched ? '✓' : '✗'} {c.route}
                {c.host ? ` (${c.host})` : ''}: {c.reasons.join(', ')}
              </li>
            ))}
          </ol>
        </div>
      )}
    </section>
  );
}
