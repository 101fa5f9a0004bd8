'use client';

import type { ReactNode } from 'react';

/**
 * A labelled input with its hint or error beside it; `name` is the schema path (e.g. `healthCheck.path`).
 * The hint and error sit outside the <label> so the input's accessible name is the label alone.
 */
export function Field({ label, name, errors, hint, children }: { label: string; name: string; errors: Record<string, string[]>; hint?: string; children: ReactNode }) {
  const error = errors[name]?.[0];
  return (
    <div className={`field${error ? ' has-error' : ''}`} data-field={name}>
      <label>
        <span className="label">{label}</span>
        {children}
      </label>
      {hint && !error && <span className="hint">{hint}</span>}
      {error && (
        <span className="field-error" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}
