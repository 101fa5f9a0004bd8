'use client';

import { type TConfigFormat, type TConfigNote, type TImportPlan, CONFIG_TEXT_LIMIT, guessConfigFormat } from '@fulcrum/protocol';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useSession } from '../lib/session';
import { useToast } from '../lib/toast';
import { describeError, fieldErrorsOf, useTRPC } from '../lib/trpc';

function Notes({ title, notes, className }: { title: string; notes: TConfigNote[]; className?: string }) {
  if (!notes.length) return null;
  return (
    <section aria-label={title}>
      <h3>{title}</h3>
      <ul className="events">
        {notes.map((n, i) => (
          <li key={i} className="event">
            <span className="badge">line {n.line}</span> <code>{n.directive}</code> <span className={className}>{n.message}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Plan({ plan }: { plan: TImportPlan }) {
  return (
    // biome-ignore lint/a11y/useSemanticElements: a read-only summary of the plan, not form fields
    <div className="stack" role="group" aria-label="Import plan">
      {plan.pools.map((p) => (
        <section key={p.name} className="card" aria-label={`Pool ${p.name}`}>
          <div className="row">
            <h3>
              {p.action === 'create' ? 'New' : 'Replaced'} pool <code>{p.name}</code>{' '}
              <span className="muted">
                from {p.from.block} (line {p.from.line})
              </span>
            </h3>
            <span className="badge">
              {p.config.protocol} on {p.config.listenHost}:{p.config.listenPort} · {p.config.algorithm} · {p.backends.length} backend(s)
            </span>
          </div>
          <ul className="events">
            {p.mappings.map((m, i) => (
              <li key={i} className="event">
                <span className="badge">line {m.line}</span> <code>{m.directive}</code> → {m.message}
              </li>
            ))}
          </ul>
        </section>
      ))}
      <Notes title="Warnings: imported, but behaves differently" notes={plan.warnings} />
      <Notes title="Not supported: not imported" notes={plan.unsupported} className="muted" />
      <Notes title="Errors: fix these before applying" notes={plan.errors} className="error" />
    </div>
  );
}

/** Paste or upload an nginx.conf / haproxy.cfg, read the plan the server makes of it, then apply it as one revision. */
export function ConfigImportForm() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const { canWrite } = useSession();
  const [text, setText] = useState('');
  const [fileName, setFileName] = useState('');
  const [format, setFormat] = useState<TConfigFormat | 'auto'>('auto');
  const [replace, setReplace] = useState(false);
  const [plan, setPlan] = useState<TImportPlan | null>(null);
  const [error, setError] = useState<string | null>(null);
  const guessed = guessConfigFormat(fileName, text);
  const chosen = format === 'auto' ? guessed : format;

  const run = useMutation(
    trpc.configFiles.import.mutationOptions({
      onSuccess: async (result) => {
        setPlan(result);
        setError(null);
        if (result.applied) {
          toast('ok', `Applied as revision ${result.applied.revision}`);
          await qc.invalidateQueries();
        }
      },
      onError: (err) => {
        setPlan(null);
        setError(fieldErrorsOf(err).text?.[0] ?? describeError(err));
      },
    }),
  );
  const submit = (apply: boolean) => {
    if (!chosen) return setError('Cannot tell whether this is NGINX or HAProxy: choose the format.');
    run.mutate({ format: chosen, text, fileName: fileName || undefined, apply, replace });
  };
  const tooLarge = text.length > CONFIG_TEXT_LIMIT;

  return (
    <div className="stack">
      <form
        aria-label="Import a config file"
        onSubmit={(e) => {
          e.preventDefault();
          submit(false);
        }}
      >
        <fieldset disabled={!canWrite}>
          <div className="grid">
            <div className="field">
              <label>
                <span className="label">Upload a file</span>
                <input
                  type="file"
                  accept=".conf,.cfg,text/plain"
                  onChange={async (e) => {
                    const f = e.target.files?.[0];
                    if (!f) return;
                    setFileName(f.name);
                    setText(await f.text());
                    setPlan(null);
                  }}
                />
              </label>
            </div>
            <div className="field">
              <label>
                <span className="label">Format</span>
                <select name="format" value={format} onChange={(e) => setFormat(e.target.value as TConfigFormat | 'auto')}>
                  <option value="auto">guess{guessed ? ` (${guessed})` : ''}</option>
                  <option value="nginx">NGINX</option>
                  <option value="haproxy">HAProxy</option>
                </select>
              </label>
            </div>
            <div className="field">
              <label>
                <input type="checkbox" checked={replace} onChange={(e) => setReplace(e.target.checked)} /> Replace pools that exist
              </label>
            </div>
          </div>
          <div className="field">
            <label>
              <span className="label">Or paste it</span>
              <textarea
                name="text"
                rows={14}
                className="mono"
                value={text}
                placeholder={'upstream backend_servers {\n    least_conn;\n    server 192.168.1.10:8000 weight=3;\n    server 192.168.1.11:8000;\n}'}
                onChange={(e) => {
                  setText(e.target.value);
                  setPlan(null);
                }}
              />
            </label>
            {tooLarge && <span className="field-error">The file is longer than {CONFIG_TEXT_LIMIT} characters.</span>}
            {error && (
              <span className="field-error" role="alert">
                {error}
              </span>
            )}
          </div>
          <div className="actions-row">
            <button type="submit" disabled={!text.trim() || tooLarge || run.isPending}>
              Show the plan
            </button>
            <button type="button" className="primary" disabled={!plan || plan.applied !== null || plan.errors.length > 0 || plan.pools.length === 0 || run.isPending} onClick={() => submit(true)}>
              Apply as one revision
            </button>
          </div>
          {!canWrite && <p className="muted">Importing needs the operator role.</p>}
        </fieldset>
      </form>
      {plan && (
        <section className="card">
          <h2>{plan.applied ? `Applied as revision ${plan.applied.revision}` : 'Plan (dry run: nothing changed yet)'}</h2>
          <Plan plan={plan} />
        </section>
      )}
    </div>
  );
}
