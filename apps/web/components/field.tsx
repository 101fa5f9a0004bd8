'use client';

import type { ReactNode } from 'react';

/** A labelled input with its error beside it; `name` is the schema path (e.g. `healthCheck.path`). */
export function Field({ label, name, errors, hint, children }: { label: string; name: string; errors: Record<string, string[]>; hint?: string; children: ReactNode }) {
  const error = errors[name]?.[0];
  return (
    <label className={`field${error ? ' has-error' : ''}`} data-field={name}>
      <span className="label">{label}</span>
      {children}
      {hint && !error && <span className="hint">{hint}</span>}
      {error && (
        <span className="field-error" role="alert">
          {error}
        </span>
      )}
    </label>
  );
}
