'use client';

import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import type { TRouterOutputs } from '../lib/router-outputs';
import { useTRPC } from '../lib/trpc';
import { useMutationFeedback } from '../lib/use-mutation-feedback';
import { useUnsavedChanges } from '../lib/use-unsaved-changes';
import { ApplyStatus } from './apply-status';
import { ConfigExport } from './config-export';
import { PoolForm } from './pool-form';
import { StaleNotice } from './stale-notice';

type TPool = TRouterOutputs['pools']['get'];

/**
 * The pool's configuration: read-only until Edit, so a stray keypress changes nothing; while
 * edited, leaving the page (reload, close, a link, another section) asks first. Save records the
 * operator's reason with the revision.
 */
export function PoolConfigSection({ pool, canWrite, onReload }: { pool: TPool; canWrite: boolean; onReload: () => Promise<unknown> }) {
  const trpc = useTRPC();
  const [editing, setEditing] = useState(false);
  const [dirty, setDirty] = useState(false);
  const [reason, setReason] = useState('');
  const [serverErrors, setServerErrors] = useState<Record<string, string[]>>({});
  const [justSaved, setJustSaved] = useState(false);
  useUnsavedChanges(editing && dirty);
  const update = useMutation(
    trpc.pools.update.mutationOptions(
      // Saved is not applied: the status beside the form says whether the data planes run it.
      useMutationFeedback(() => 'Pool saved as a new revision', {
        setErrors: setServerErrors,
        saved: () => {
          setJustSaved(true);
          setEditing(false);
          setDirty(false);
          setReason('');
        },
      }),
    ),
  );
  const cancel = () => {
    setEditing(false);
    setDirty(false);
    setServerErrors({});
    update.reset();
  };
  return (
    <section className="card" aria-labelledby="pool-config-heading">
      <div className="row">
        <h2 id="pool-config-heading">Configuration</h2>
        {!editing && (
          <button type="button" className="primary" disabled={!canWrite} onClick={() => (setEditing(true), setJustSaved(false))}>
            Edit
          </button>
        )}
      </div>
      <StaleNotice error={update.error} what="pool" onReload={() => void onReload().then(cancel)} />
      {justSaved && <ApplyStatus poolId={pool.id} justSaved canWrite={canWrite} />}
      {!editing && <p className="muted">Read-only: press Edit to change the configuration{canWrite ? '' : ' (operators and admins only)'}.</p>}
      {/* The form is remounted on Edit and on every saved version, so it always starts from what is stored. */}
      <div onInput={() => editing && setDirty(true)} onChange={() => editing && setDirty(true)}>
        <PoolForm
          key={`${pool.version}-${editing}`}
          initial={pool}
          submitLabel="Save pool"
          disabled={!editing}
          pending={update.isPending}
          serverErrors={serverErrors}
          onSubmit={(config) => update.mutate({ id: pool.id, expectedVersion: pool.version, patch: config, ...(reason.trim() ? { reason: reason.trim() } : {}) })}
          extra={
            editing && (
              <>
                <label className="field reason">
                  <span className="label">Reason for this change (optional, kept with the revision)</span>
                  <input name="reason" value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} />
                </label>
                <button type="button" onClick={cancel}>
                  Cancel
                </button>
              </>
            )
          }
        />
      </div>
      <ConfigExport poolId={pool.id} />
    </section>
  );
}
