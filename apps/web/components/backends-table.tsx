'use client';

import { type TAdminState, type TBackend, ZBackendConfig } from '@fulcrum/protocol';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { numberOf, textOf } from '../lib/form-values';
import { humanFieldMessage } from '../lib/human-errors';
import type { LivePoint } from '../lib/live-stats';
import { useSession } from '../lib/session';
import { useToast } from '../lib/toast';
import { describeError, fieldErrorsOf, useTRPC } from '../lib/trpc';
import { ActionsMenu } from './actions-menu';
import { ConfirmButton } from './confirm-button';
import { Field } from './field';
import { FormErrorSummary } from './form-error-summary';
import { NumberField } from './number-field';
import { useSchemaSubmit } from '../lib/use-schema-submit';

const readBackend = (f: FormData) => ({ host: textOf(f.get('host')) ?? '', port: numberOf(f.get('port')), weight: numberOf(f.get('weight')), backup: f.get('backup') === 'on' });

/** What an inline weight may be, in words, or null when it is fine (the schema's own rule). */
function weightProblem(value: string): string | null {
  if (value.trim() === '') return 'Enter a weight from 1 to 1000';
  const parsed = ZBackendConfig.shape.weight.safeParse(Number(value));
  return parsed.success ? null : humanFieldMessage('weight', parsed.error.issues[0]?.message ?? 'is not a valid weight');
}

/** A pool's backends with their admin actions; live health and traffic join in beside them. */
export function BackendsTable({ poolId, backends, live, stale = false }: { poolId: string; backends: TBackend[]; live: Record<string, LivePoint>; stale?: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const toast = useToast();
  const { canWrite } = useSession();
  const [serverErrors, setServerErrors] = useState<Record<string, string[]>>({});
  // Inline weights refused before any save, by backend id.
  const [weightErrors, setWeightErrors] = useState<Record<string, string>>({});
  const refresh = () => qc.invalidateQueries();
  const onError = (err: unknown) => toast('error', describeError(err));

  const create = useMutation(
    trpc.backends.create.mutationOptions({
      onSuccess: async (b) => {
        toast('ok', `Backend ${b.host}:${b.port} added`);
        setServerErrors({});
        // Only now: a refused add keeps what was typed beside its error.
        formRef.current?.reset();
        await refresh();
      },
      onError: (err) => {
        setServerErrors(fieldErrorsOf(err));
        onError(err);
      },
    }),
  );
  const update = useMutation(
    trpc.backends.update.mutationOptions({
      onSuccess: async (b, input) => {
        toast('ok', input.patch.adminState ? `${b.host}:${b.port} is ${b.adminState}` : `${b.host}:${b.port} saved`);
        await refresh();
      },
      onError,
    }),
  );
  const remove = useMutation(
    trpc.backends.delete.mutationOptions({
      onSuccess: async () => {
        toast('ok', 'Backend removed');
        await refresh();
      },
      onError,
    }),
  );

  const { clientErrors, submit, formRef } = useSchemaSubmit(
    ZBackendConfig,
    readBackend,
    (backend) => {
      setServerErrors({});
      create.mutate({ poolId, ...backend });
    },
    serverErrors,
  );
  const errors = { ...serverErrors, ...clientErrors };
  const saveWeight = (b: TBackend, input: HTMLInputElement) => {
    const problem = weightProblem(input.value);
    setWeightErrors(({ [b.id]: _, ...rest }) => (problem ? { ...rest, [b.id]: problem } : rest));
    const weight = Number(input.value);
    if (!problem && weight !== b.weight) update.mutate({ id: b.id, expectedVersion: b.version, patch: { weight } });
  };
  const setState = (b: TBackend, adminState: TAdminState) => update.mutate({ id: b.id, expectedVersion: b.version, patch: { adminState } });

  return (
    <div>
      <div className="table-wrap">
        <table className="backends">
          <thead>
            <tr>
              <th>Address</th>
              <th>State</th>
              <th>Health</th>
              <th>Active</th>
              <th>Attempts/s</th>
              <th>p99 ms</th>
              <th>Weight</th>
              <th>Backup</th>
              <th>Max conns</th>
              <th>Version</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {backends.length === 0 && (
              <tr className="empty-row">
                <td colSpan={11} className="muted">
                  No backends yet. Add the first one below.
                </td>
              </tr>
            )}
            {backends.map((b) => {
              // A backend down or ejected has no numbers worth reading: "—", a red row, and its pill says so.
              const lp = live[b.id];
              const dead = !!lp && (lp.health === 'unhealthy' || lp.ejected);
              return (
                <tr key={b.id} data-backend={`${b.host}:${b.port}`} data-dead={dead || undefined} className={dead ? 'row-problem' : undefined}>
                  <td className="mono addr">
                    {b.host}:{b.port}
                  </td>
                  <td className="admin-state">
                    <span className={`state state-${dead && b.adminState === 'active' ? 'down' : b.adminState}`}>{b.adminState}</span>
                    {dead && <span className="state state-down down-note"> {lp.ejected ? 'ejected' : 'down'}</span>}
                  </td>
                  <td className={`health health-${live[b.id]?.ejected ? 'unhealthy' : (live[b.id]?.health ?? 'unknown')}${stale ? ' stale' : ''}`}>
                    {live[b.id] ? (live[b.id]!.ejected ? 'ejected' : live[b.id]!.health) : '—'}
                  </td>
                  <td className={`active${stale ? ' stale' : ''}`}>{dead ? '—' : (lp?.activeConnections ?? '—')}</td>
                  <td className={`rps${stale ? ' stale' : ''}`} title="upstream attempts/s, retries included">
                    {dead ? '—' : (lp?.requests ?? '—')}
                    {!!live[b.id] && live[b.id]!.errors.connect + live[b.id]!.errors.timeout + live[b.id]!.errors.reset > 0 && (
                      <span className="upstream-failed"> ({live[b.id]!.errors.connect + live[b.id]!.errors.timeout + live[b.id]!.errors.reset} failed)</span>
                    )}
                  </td>
                  <td className={`p99${stale ? ' stale' : ''}`}>{!dead && lp && lp.requests > 0 ? lp.latencyMs.p99 : '—'}</td>
                  {/* A phone's compact card shows the numbers above in one line (the cells themselves are hidden there). */}
                  <td className={`nums-phone${stale ? ' stale' : ''}`} aria-hidden="true">
                    <span>{dead ? '—' : (lp?.activeConnections ?? '—')} active</span>
                    <span>{dead ? '—' : (lp?.requests ?? '—')}/s</span>
                    <span>p99 {!dead && lp && lp.requests > 0 ? `${lp.latencyMs.p99} ms` : '—'}</span>
                  </td>
                  <td className="weight-cell">
                    <input
                      key={b.version /* deploys and the autoscaler change weights too */}
                      aria-label={`weight of ${b.host}:${b.port}`}
                      type="number"
                      min={1}
                      max={1000}
                      defaultValue={b.weight}
                      disabled={!canWrite}
                      className="weight"
                      aria-invalid={Boolean(weightErrors[b.id])}
                      aria-describedby={weightErrors[b.id] ? `weight-error-${b.id}` : undefined}
                      onKeyDown={(e) => {
                        if (e.key === 'Enter') e.currentTarget.blur();
                        // Escape puts the saved weight back and drops the complaint.
                        if (e.key === 'Escape') {
                          e.currentTarget.value = String(b.weight);
                          setWeightErrors(({ [b.id]: _, ...rest }) => rest);
                        }
                      }}
                      onBlur={(e) => saveWeight(b, e.currentTarget)}
                    />
                    {weightErrors[b.id] && (
                      <span id={`weight-error-${b.id}`} className="field-error" role="alert" data-weight-error>
                        {weightErrors[b.id]}
                      </span>
                    )}
                  </td>
                  <td className="backup">{b.backup ? 'yes' : ''}</td>
                  <td className="max-conns">{b.maxConnections || '∞'}</td>
                  <td className="version">{b.versionLabel ?? ''}</td>
                  <td className="actions">
                    <ActionsMenu label={`Actions for ${b.host}:${b.port}`}>
                      {b.adminState !== 'draining' && (
                        <button type="button" disabled={!canWrite} onClick={() => setState(b, 'draining')}>
                          Drain
                        </button>
                      )}
                      {b.adminState !== 'disabled' && (
                        <button type="button" disabled={!canWrite} onClick={() => setState(b, 'disabled')}>
                          Disable
                        </button>
                      )}
                      {b.adminState !== 'active' && (
                        <button type="button" disabled={!canWrite} onClick={() => setState(b, 'active')}>
                          Enable
                        </button>
                      )}
                      <ConfirmButton label="Remove" confirmLabel="Remove for good" disabled={!canWrite} onConfirm={() => remove.mutate({ id: b.id, expectedVersion: b.version })} />
                    </ActionsMenu>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <form ref={formRef} className="add-backend" onSubmit={submit} noValidate>
        <fieldset disabled={!canWrite}>
          <legend>Add backend</legend>
          <div className="grid">
            <Field label="Host" name="host" errors={errors}>
              <input name="host" placeholder="10.0.0.12" />
            </Field>
            <NumberField label="Port" name="port" errors={errors} placeholder="8080" min={1} max={65535} />
            <NumberField label="Weight" name="weight" errors={errors} defaultValue={1} min={1} max={1000} />
            <Field label="Backup" name="backup" errors={errors}>
              <input name="backup" type="checkbox" />
            </Field>
          </div>
          <FormErrorSummary errors={errors} />
          <button type="submit" className="primary" disabled={create.isPending}>
            Add backend
          </button>
        </fieldset>
      </form>
    </div>
  );
}
